/// The circuit breaker of one upstream instance: stops sending it requests while it fails, and
/// lets a few through now and then to find out when it is back.
///
/// - **closed**: requests go through; `failureThreshold` failures in a row open it.
/// - **open**: requests are refused at once (the gateway tries another instance or answers 503)
///   until `openDuration` has passed, then it is half-open.
/// - **half-open**: at most `halfOpenProbes` requests at a time go through; a success closes
///   it, a failure opens it again for another `openDuration`.
///
/// A value type with the time passed in, so the rules are tested without a clock; the gateway
/// keeps one per instance behind a lock.
public struct CircuitBreaker: Sendable, Equatable {
    /// What the breaker does with requests now (exported as a metric: 0, 1, 2).
    public enum State: Int, Sendable, Equatable, CustomStringConvertible {
        case closed = 0
        case open = 1
        case halfOpen = 2

        public var description: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half-open"
            }
        }
    }

    /// When the breaker opens and how it recovers.
    public struct Policy: Sendable, Equatable {
        /// Failures in a row that open a closed breaker.
        public var failureThreshold: Int
        /// How long an open breaker refuses requests before it lets probes through.
        public var openDuration: Duration
        /// How many requests a half-open breaker lets through at once.
        public var halfOpenProbes: Int

        public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(10), halfOpenProbes: Int = 1) {
            precondition(failureThreshold >= 1 && halfOpenProbes >= 1)
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
            self.halfOpenProbes = halfOpenProbes
        }
    }

    public let policy: Policy
    private var stored: State = .closed
    private var consecutiveFailures = 0
    private var openedAt: ContinuousClock.Instant?
    private var probesInFlight = 0

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// The state at `now` (an open breaker whose time is up reads as half-open).
    public func state(at now: ContinuousClock.Instant) -> State {
        if stored == .open, let openedAt, now - openedAt >= policy.openDuration { return .halfOpen }
        return stored
    }

    /// Whether a request may go to the instance now; when it may, the caller must report its
    /// outcome with ``record(success:at:)``.
    public mutating func allowRequest(at now: ContinuousClock.Instant) -> Bool {
        switch state(at: now) {
        case .closed:
            return true
        case .open:
            return false
        case .halfOpen:
            if stored == .open {
                stored = .halfOpen
                probesInFlight = 0
            }
            guard probesInFlight < policy.halfOpenProbes else { return false }
            probesInFlight += 1
            return true
        }
    }

    /// Records the outcome of a request that ``allowRequest(at:)`` let through. A failure is a
    /// connection that could not be made, a time-out, or a 5xx that says the instance is unwell
    /// (502, 503, 504); the caller decides.
    public mutating func record(success: Bool, at now: ContinuousClock.Instant) {
        switch stored {
        case .closed:
            if success {
                consecutiveFailures = 0
            } else {
                consecutiveFailures += 1
                if consecutiveFailures >= policy.failureThreshold { open(at: now) }
            }
        case .halfOpen:
            probesInFlight = max(0, probesInFlight - 1)
            if success {
                stored = .closed
                consecutiveFailures = 0
                openedAt = nil
            } else {
                open(at: now)
            }
        case .open:
            // An answer to a request let through before the breaker opened: the breaker already
            // knows the instance is unwell; a late success does not close it.
            break
        }
    }

    private mutating func open(at now: ContinuousClock.Instant) {
        stored = .open
        openedAt = now
        consecutiveFailures = 0
        probesInFlight = 0
    }
}
