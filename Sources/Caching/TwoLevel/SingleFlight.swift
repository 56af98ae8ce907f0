import Synchronization

/// Runs at most one piece of work per key at a time: callers that ask for a key while its work
/// runs wait for that work's result instead of starting their own.
///
/// ``forget(_:)`` detaches the running work from its key (its waiters still get its result), so
/// the next caller starts fresh work. The work learns that through its ``Ticket`` and can skip
/// publishing a result that an invalidation made stale.
///
/// Cancellation: a cancelled waiter stops waiting at once with `CancellationError`; when the
/// leader is cancelled and its work fails with `CancellationError`, waiters that are not cancelled
/// themselves start over (one of them becomes the new leader).
final class SingleFlight<Value: Sendable>: Sendable {
    /// The running work's view of whether it is still the current flight of its key.
    struct Ticket: Sendable {
        fileprivate let owner: SingleFlight
        fileprivate let key: String
        fileprivate let flight: UInt64

        /// Whether no ``SingleFlight/forget(_:)`` has detached this flight from its key.
        var isCurrent: Bool {
            owner.state.withLock { $0.current[key] == flight }
        }

        /// Runs `body` while holding the flight table's lock if this flight is still current, so
        /// that a concurrent ``SingleFlight/forget(_:)`` happens either wholly before (and `body`
        /// does not run) or wholly after. `body` must be quick and must not call back into the
        /// flight table.
        func ifCurrent(_ body: () -> Void) {
            owner.state.withLock { state in
                if state.current[key] == flight { body() }
            }
        }
    }

    private enum Outcome: Sendable {
        case lead(UInt64)
        case finished(Result<Value, any Error>)
    }

    private struct State: Sendable {
        /// The running flight of each key.
        var current: [String: UInt64] = [:]
        /// The waiters of each running flight (forgotten ones included), by waiter id.
        var waiters: [UInt64: [UInt64: CheckedContinuation<Outcome, Never>]] = [:]
        var nextID: UInt64 = 0

        mutating func makeID() -> UInt64 {
            nextID += 1
            return nextID
        }
    }

    private let state = Mutex(State())

    init() {}

    /// Returns the result of `work` for `key`: run by this caller if no work for `key` is
    /// running, otherwise the result of the running work.
    func run(_ key: String, _ work: (Ticket) async throws -> Value) async throws -> Value {
        while true {
            let waiterID = state.withLock { $0.makeID() }
            let outcome = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                    let immediate = state.withLock { state -> Outcome? in
                        if Task.isCancelled { return .finished(.failure(CancellationError())) }
                        if let flight = state.current[key] {
                            state.waiters[flight, default: [:]][waiterID] = continuation
                            return nil
                        }
                        let flight = state.makeID()
                        state.current[key] = flight
                        state.waiters[flight] = [:]
                        return .lead(flight)
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                let continuation = state.withLock { state -> CheckedContinuation<Outcome, Never>? in
                    for flight in state.waiters.keys {
                        if let continuation = state.waiters[flight]?.removeValue(forKey: waiterID) { return continuation }
                    }
                    return nil
                }
                continuation?.resume(returning: .finished(.failure(CancellationError())))
            }

            switch outcome {
            case .lead(let flight):
                let result: Result<Value, any Error>
                do {
                    result = .success(try await work(Ticket(owner: self, key: key, flight: flight)))
                } catch {
                    result = .failure(error)
                }
                let waiting = state.withLock { state in
                    if state.current[key] == flight { state.current[key] = nil }
                    return state.waiters.removeValue(forKey: flight) ?? [:]
                }
                for continuation in waiting.values { continuation.resume(returning: .finished(result)) }
                return try result.get()
            case .finished(.failure(let error)) where error is CancellationError && !Task.isCancelled:
                continue  // the leader was cancelled, not us: try again
            case .finished(let result):
                return try result.get()
            }
        }
    }

    /// Detaches the running work for `key`, if any: it still completes for its waiters, but
    /// callers from now on start new work and its ``Ticket/isCurrent`` turns false.
    func forget(_ key: String) {
        state.withLock { _ = $0.current.removeValue(forKey: key) }
    }

    /// How many callers wait for running work (for tests).
    var waiterCount: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }
}
