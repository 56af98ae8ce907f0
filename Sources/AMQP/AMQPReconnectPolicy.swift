/// Backoff for re-establishing a dropped connection: exponential, capped, with jitter.
public struct AMQPReconnectPolicy: Sendable, Hashable {
    /// Whether a dropped connection is re-established at all.
    public var enabled: Bool
    /// Delay before the first attempt.
    public var initialDelay: Duration
    /// Upper bound of the delay between attempts.
    public var maxDelay: Duration
    /// Factor by which the delay grows after each failed attempt.
    public var multiplier: Double
    /// Fraction of each delay that is randomised (0 = none, 1 = anywhere from zero to the delay).
    public var jitter: Double

    /// A policy with the given values.
    public init(
        enabled: Bool = true,
        initialDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.5
    ) {
        self.enabled = enabled
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// Reconnect from 100 ms up to 30 s between attempts, half of each delay randomised.
    public static var `default`: AMQPReconnectPolicy { AMQPReconnectPolicy() }
    /// Never reconnect: a dropped connection stays closed.
    public static var disabled: AMQPReconnectPolicy { AMQPReconnectPolicy(enabled: false) }

    /// The delay before attempt `attempt` (0-based), jittered with `random` in 0...1.
    public func delay(beforeAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let initial = Self.seconds(initialDelay)
        let cap = Self.seconds(maxDelay)
        let exponent = Double(min(attempt, 64))
        let base = min(cap, initial * pow2(multiplier, exponent))
        let jittered = base * (1 - jitter * min(max(random, 0), 1))
        return .nanoseconds(Int64(jittered * 1e9))
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var i = 0.0
        while i < exponent {
            result *= base
            if result > 1e12 { break }
            i += 1
        }
        return result
    }
}
