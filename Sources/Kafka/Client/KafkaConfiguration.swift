/// Where and how to reach a Kafka cluster.
public struct KafkaConfiguration: Sendable, Hashable {
    /// Brokers to ask for the cluster's metadata first; any one that answers is enough. The
    /// other brokers are learnt from it.
    public var bootstrapServers: [KafkaBrokerAddress]
    /// The client id sent in every request header (brokers log it and apply quotas by it).
    public var clientId: String
    /// Time allowed for a TCP connect, separately from the ApiVersions negotiation after it.
    public var connectTimeout: Duration
    /// Time allowed for a response, when a request does not set its own (a JoinGroup waits for
    /// the rebalance, a Fetch for its max wait, and they add that to this).
    public var requestTimeout: Duration
    /// How long an operation (produce, fetch, commit, metadata) keeps retrying retriable errors
    /// (broker unreachable, leader moved, coordinator loading...) before it fails with
    /// ``KafkaError/retriesExhausted(operation:after:last:)``.
    public var retryTimeout: Duration
    /// Delays between retries and between connection attempts to the same broker.
    public var backoff: KafkaBackoff

    /// A configuration with the given values and defaults for the rest.
    public init(
        bootstrapServers: [KafkaBrokerAddress],
        clientId: String = "emporium",
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        retryTimeout: Duration = .seconds(60),
        backoff: KafkaBackoff = .default
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retryTimeout = retryTimeout
        self.backoff = backoff
    }

    /// Parses `kafka://host:port,host:port/?client_id=NAME&request_timeout_ms=N&retry_timeout_ms=N`
    /// (also without the scheme: `host:port,host:port`). Ports default to 9092.
    /// - Throws: ``KafkaError/invalidURL(_:reason:)``.
    public init(url: String) throws(KafkaError) {
        var rest = Substring(url)
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard parts[0] == "kafka" else { throw .invalidURL(url, reason: "the scheme must be kafka://, not \(parts[0])://") }
            rest = parts[1]
        }
        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty else { throw .invalidURL(url, reason: "no broker address") }
        var servers: [KafkaBrokerAddress] = []
        for part in rest.split(separator: ",", omittingEmptySubsequences: false) {
            do {
                servers.append(try KafkaBrokerAddress(parsing: String(part)))
            } catch {
                throw .invalidURL(url, reason: "bad broker address '\(part)'")
            }
        }
        self.init(bootstrapServers: servers)
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            switch key {
            case "client_id": self.clientId = value
            case "request_timeout_ms", "connect_timeout_ms", "retry_timeout_ms":
                guard let milliseconds = Int64(value), milliseconds > 0 else {
                    throw .invalidURL(url, reason: "\(key) must be a positive number of milliseconds")
                }
                let duration = Duration.milliseconds(milliseconds)
                if key == "request_timeout_ms" { self.requestTimeout = duration }
                if key == "connect_timeout_ms" { self.connectTimeout = duration }
                if key == "retry_timeout_ms" { self.retryTimeout = duration }
            default: break
            }
        }
    }
}

/// Exponential backoff with jitter, for retries and reconnects.
public struct KafkaBackoff: Sendable, Hashable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Upper bound of any delay.
    public var maxDelay: Duration
    /// Factor by which the delay grows after each failure.
    public var multiplier: Double
    /// Fraction of each delay that is randomised (0 none, 1 anywhere from zero to the delay).
    public var jitter: Double

    /// A policy with the given values.
    public init(initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5), multiplier: Double = 2, jitter: Double = 0.2) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// 100 ms doubling up to 5 s, a fifth of each delay randomised.
    public static var `default`: KafkaBackoff { KafkaBackoff() }

    /// The delay before retry `attempt` (0-based), jittered with `random` in 0...1.
    public func delay(attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let initial = Self.seconds(initialDelay)
        let cap = Self.seconds(maxDelay)
        var base = initial
        var step = 0
        while step < attempt && base < cap {
            base *= multiplier
            step += 1
        }
        base = min(base, cap)
        let jittered = base * (1 - jitter * min(max(random, 0), 1))
        return .nanoseconds(Int64(jittered * 1e9))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

/// Runs `body` until it succeeds, retrying errors that ``KafkaError/isRetriable`` (and
/// `retryIf` accepts) with `backoff` between attempts, for at most `timeout` in all.
///
/// - Throws: the first non-retriable error, or ``KafkaError/retriesExhausted(operation:after:last:)``.
func withKafkaRetries<Result: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    _ operation: String,
    timeout: Duration,
    backoff: KafkaBackoff,
    retryIf: (KafkaError) -> Bool = { $0.isRetriable },
    onRetry: (KafkaError) async -> Void = { _ in },
    _ body: () async throws -> Result
) async throws -> Result {
    let clock = ContinuousClock()
    let start = clock.now
    var attempt = 0
    while true {
        do {
            return try await body()
        } catch let error as KafkaError where retryIf(error) {
            let delay = backoff.delay(attempt: attempt)
            let elapsed = start.duration(to: clock.now)
            guard elapsed + delay < timeout else {
                throw KafkaError.retriesExhausted(operation: operation, after: timeout, last: error.description)
            }
            await onRetry(error)
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }
}
