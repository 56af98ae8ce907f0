/// An error of a service's domain or store that knows its problem+json answer.
///
/// Stores and domain rules throw their own errors (no HTTP in them); the service's `Routes/`
/// conform those errors to this protocol, and ``ProblemMiddleware`` writes ``problem``.
public protocol ProblemConvertible: Error {
    /// The problem the client sees.
    var problem: ProblemDetails { get }
}
