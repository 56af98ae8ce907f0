import Synchronization

/// Work that brings gauges up to date just before `/metrics` answers: values that are cheap to
/// read when asked (a pool's connections, a dead-letter queue's depth, the readiness checks) but
/// would cost work on every change, or that change outside the process.
///
/// Every sampler of a scrape runs at once; one that takes longer than ``timeLimit`` is cancelled
/// and its gauges keep their last values, so a broker that does not answer cannot hold up the
/// scrape.
public final class MetricsSamplers: Sendable {
    /// How long one sampler may take.
    public let timeLimit: Duration
    private let samplers = Mutex<[@Sendable () async -> Void]>([])

    public init(timeLimit: Duration = .seconds(2)) {
        self.timeLimit = timeLimit
    }

    /// Adds `sampler`, run before every scrape from now on.
    public func add(_ sampler: @escaping @Sendable () async -> Void) {
        samplers.withLock { $0.append(sampler) }
    }

    /// Runs every sampler, each at most ``timeLimit``.
    public func sample() async {
        let samplers = self.samplers.withLock { $0 }
        let timeLimit = self.timeLimit
        await withTaskGroup(of: Void.self) { group in
            for sampler in samplers {
                group.addTask { try? await withTimeout(timeLimit) { await sampler() } }
            }
        }
    }
}
