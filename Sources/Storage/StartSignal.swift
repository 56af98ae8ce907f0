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
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Lets every current and future waiter through.
    public func raise() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.raised = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the signal is raised.
    public func wait() async {
        if state.withLock({ $0.raised }) { return }
        await withCheckedContinuation { continuation in
            let raised = state.withLock { state -> Bool in
                if !state.raised { state.waiters.append(continuation) }
                return state.raised
            }
            if raised { continuation.resume() }
        }
    }
}
