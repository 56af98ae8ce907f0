/// The instances of one service behind the gateway and which of them take traffic.
///
/// An instance is taken out of the rotation (ejected) when its active health check fails
/// (`GET /health/ready` not 200), or passively after ``Policy/ejectAfterFailures`` failed
/// requests in a row; it returns when a health check passes again. Requests go round-robin over
/// the instances in rotation whose breaker lets them through; when every instance is ejected,
/// the gateway still tries them (a health check may be wrong; the breaker limits the damage)
/// rather than refusing everything.
public struct UpstreamInstances: Sendable {
    /// When instances leave and rejoin the rotation.
    public struct Policy: Sendable, Equatable {
        /// Failed requests in a row that eject an instance until its next good health check.
        public var ejectAfterFailures: Int
        /// The circuit breaker of each instance.
        public var breaker: CircuitBreaker.Policy

        public init(ejectAfterFailures: Int = 3, breaker: CircuitBreaker.Policy = .init()) {
            precondition(ejectAfterFailures >= 1)
            self.ejectAfterFailures = ejectAfterFailures
            self.breaker = breaker
        }
    }

    /// One instance: its base URL and what the gateway knows of its health.
    public struct Instance: Sendable {
        public let url: String
        public fileprivate(set) var breaker: CircuitBreaker
        public fileprivate(set) var ejected = false
        fileprivate var consecutiveFailures = 0
    }

    public let service: String
    public let policy: Policy
    public private(set) var instances: [Instance]
    private var next = 0

    /// - Parameter urls: The instances' base URLs (`http://catalog-1:8080`), at least one.
    public init(service: String, urls: [String], policy: Policy = Policy()) {
        precondition(!urls.isEmpty, "a service has at least one instance")
        self.service = service
        self.policy = policy
        self.instances = urls.map { Instance(url: $0, breaker: CircuitBreaker(policy: policy.breaker)) }
    }

    /// The instance for the next request, skipping `excluding` (those already tried for this
    /// request): the next in round-robin order that is in rotation and whose breaker allows a
    /// request; else any whose breaker allows one; nil when every breaker refuses.
    public mutating func pick(excluding: Set<Int> = [], at now: ContinuousClock.Instant) -> Int? {
        let count = instances.count
        for inRotationOnly in [true, false] {
            for step in 0..<count {
                let index = (next + step) % count
                guard !excluding.contains(index), !inRotationOnly || !instances[index].ejected else { continue }
                if instances[index].breaker.allowRequest(at: now) {
                    next = (index + 1) % count
                    return index
                }
            }
        }
        return nil
    }

    /// Records the outcome of a request sent to instance `index`.
    public mutating func record(_ index: Int, success: Bool, at now: ContinuousClock.Instant) {
        instances[index].breaker.record(success: success, at: now)
        if success {
            instances[index].consecutiveFailures = 0
        } else {
            instances[index].consecutiveFailures += 1
            if instances[index].consecutiveFailures >= policy.ejectAfterFailures { instances[index].ejected = true }
        }
    }

    /// Records an active health check of instance `index`: a pass puts it back in rotation, a
    /// failure takes it out.
    public mutating func recordHealthCheck(_ index: Int, healthy: Bool) {
        instances[index].ejected = !healthy
        if healthy { instances[index].consecutiveFailures = 0 }
    }
}
