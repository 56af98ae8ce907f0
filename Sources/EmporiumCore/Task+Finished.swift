import Synchronization

extension Task where Failure == Never {
    /// Waits for the task to finish, at most `limit`, without cancelling it; returns whether it
    /// finished in time. After a time-out the task goes on (and is no longer waited for), so a
    /// part that does not stop cannot hold up the one that waits for it.
    public func finished(within limit: Duration) async -> Bool {
        let race = FirstResult<Bool>()
        return await withCheckedContinuation { continuation in
            race.set(continuation)
            let timer = Task<Void, Never> {
                try? await Task<Never, Never>.sleep(for: limit)
                race.resume(returning: false)
            }
            Task<Void, Never> {
                _ = await self.value
                race.resume(returning: true)
                timer.cancel()
            }
        }
    }
}

/// A continuation resumed once, by whichever of several tasks comes first.
final class FirstResult<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(returning value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
