/// Where caches and rate limiters read the time: the monotonic clock, or a clock a test moves.
public struct TimeSource: Sendable {
    /// The current instant.
    public var now: @Sendable () -> ContinuousClock.Instant

    /// Creates a time source from a function returning the current instant.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.now = now
    }

    /// The process's monotonic clock (`ContinuousClock`).
    public static let continuous = TimeSource { ContinuousClock.now }
}
