/// How fresh the current task's reads must be, for a database with a read replica
/// (``ReplicatedDatabase``).
///
/// A task-local value, so that the decision is made once per request (by the platform's
/// read-your-writes middleware, from the request) and reaches whichever store reads, without
/// every store method taking it as a parameter; the same way the trace context travels.
public enum ReadConsistency: Sendable, Equatable {
    /// A replica may serve the reads, however far it lags behind the primary.
    case eventual
    /// Only the primary: the task must see its client's recent writes (read-your-writes).
    case primary

    /// The current task's consistency: ``eventual`` unless set for a scope with
    /// `ReadConsistency.$current.withValue(.primary) { … }`.
    @TaskLocal public static var current: ReadConsistency = .eventual
}
