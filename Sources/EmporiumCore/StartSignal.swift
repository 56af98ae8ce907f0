import Synchronization

/// A one-way signal: tasks wait until it is raised, then pass straight through.
///
/// A PostgreSQL pool raises one when its `run()` starts, so queries made by start-up work that
/// races the pool wait for it; the runtime raises one when migrations are done, so relays and
/// consumers start on a migrated schema.
public final class StartSignal: Sendable {
    public init() {}

    private struct State {
        var raised = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    /// Whether ``raise()`` was called.
    public var isRaised: Bool { state.withLock { $0.raised } }

    /// Lets every current and future waiter through.
    public func raise() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.raised = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the signal is raised, or when the waiting task is cancelled (check
    /// ``isRaised`` to tell which).
    public func wait() async {
        if state.withLock({ $0.raised }) { return }
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let proceed = state.withLock { state -> Bool in
                    if state.raised || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if proceed { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
