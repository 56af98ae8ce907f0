/// When a failed delivery is tried again: exponential backoff with jitter, and dead after
/// ``maximumAttempts`` tries.
public struct RetryPolicy: Sendable, Equatable {
    /// The wait after the first failure (before jitter).
    public var base: Duration
    /// The longest wait.
    public var maximum: Duration
    /// How many tries a delivery gets in all.
    public var maximumAttempts: Int

    public init(base: Duration = .seconds(30), maximum: Duration = .seconds(3600), maximumAttempts: Int = 8) {
        self.base = base
        self.maximum = maximum
        self.maximumAttempts = maximumAttempts
    }

    /// Whether a delivery tried `attempts` times gets no further try.
    public func isExhausted(attempts: Int) -> Bool {
        attempts >= maximumAttempts
    }

    /// The wait before the try after `attempts` failed ones: `base · 2^(attempts-1)`, at most
    /// ``maximum``, of which a random half is taken off ("equal jitter", so deliveries that
    /// failed together do not all come back at the same moment, and none comes back at once).
    public func delay(afterAttempts attempts: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempts - 1, 0), 40)
        let ceiling = min(Double(maximum.milliseconds), Double(base.milliseconds) * Double(1 << UInt64(exponent)))
        let half = ceiling / 2
        let wait = half + Double.random(in: 0...half, using: &random)
        return .milliseconds(Int64(wait.rounded()))
    }

    /// ``delay(afterAttempts:using:)`` with the system's random numbers.
    public func delay(afterAttempts attempts: Int) -> Duration {
        var random = SystemRandomNumberGenerator()
        return delay(afterAttempts: attempts, using: &random)
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
