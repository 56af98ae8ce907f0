/// The instances of one service behind the gateway and which of them take traffic.
///
/// Two mechanisms take an instance out of the traffic:
/// - actively, its health check (`GET /health/ready` not 200) takes it out of rotation until a
///   check passes again;
/// - passively, failed requests in a row open its ``CircuitBreaker``, which lets a probe through
///   after its open time and closes when one succeeds.
///
/// Requests go round-robin over the instances in rotation whose breaker lets them through; when
/// none is left, the gateway still tries those out of rotation (a health check may be wrong; the
/// breaker limits the damage) rather than refusing everything.
public struct UpstreamInstances: Sendable {
    /// How instances leave and rejoin the traffic.
    public struct Policy: Sendable, Equatable {
        /// The circuit breaker of each instance.
        public var breaker: CircuitBreaker.Policy

        public init(breaker: CircuitBreaker.Policy = .init()) {
            self.breaker = breaker
        }
    }

    /// One instance: its base URL and what the gateway knows of its health.
    public struct Instance: Sendable {
        public let url: String
        public fileprivate(set) var breaker: CircuitBreaker
        /// Out of rotation: its last health check failed.
        public fileprivate(set) var ejected = false
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

    /// Records the outcome of a request sent to instance `index` (with its breaker).
    public mutating func record(_ index: Int, success: Bool, at now: ContinuousClock.Instant) {
        instances[index].breaker.record(success: success, at: now)
    }

    /// Records an active health check of instance `index`: a pass puts it back in rotation, a
    /// failure takes it out.
    public mutating func recordHealthCheck(_ index: Int, healthy: Bool) {
        instances[index].ejected = !healthy
    }
}
