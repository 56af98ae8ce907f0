public import EmporiumKit
import Foundation

/// The gateway's own settings (`gateway.*`, see `docs/configuration.md`).
public struct GatewaySettings: Sendable, Equatable {
    /// How long a connection to an instance may take (`gateway.connectTimeout`, seconds).
    public var connectTimeout: Duration
    /// How long an instance may take to start its answer (`gateway.responseTimeout`, seconds).
    public var responseTimeout: Duration
    /// The largest request body passed on (`gateway.maxBodyBytes`); larger is a 413, without
    /// reading it.
    public var maxBodyBytes: Int
    /// How often each instance's `/health/ready` is asked (`gateway.healthInterval`, seconds).
    public var healthInterval: Duration
    /// The breaker of each instance (`gateway.breakerFailures`, `gateway.breakerOpenSeconds`).
    public var instances: UpstreamInstances.Policy
    /// Retries as a share of requests, in percent (`gateway.retryBudgetPercent`).
    public var retryBudgetPercent: Int
    /// Requests per minute (bursts of as many) per signed-in user and per client address of
    /// anonymous requests (`gateway.rateLimit.perUser`, `gateway.rateLimit.perAddress`); 0: no limit.
    public var requestsPerMinutePerUser: Int
    public var requestsPerMinutePerAddress: Int
    /// Which pages of other origins may call the API from a browser (`gateway.cors.allowedOrigins`,
    /// `gateway.cors.maxAge`); off by default.
    public var cors: CORSPolicy

    public static let defaults = GatewaySettings()

    public init(
        connectTimeout: Duration = .seconds(2), responseTimeout: Duration = .seconds(30),
        maxBodyBytes: Int = 1 << 20, healthInterval: Duration = .seconds(5), instances: UpstreamInstances.Policy = .init(),
        retryBudgetPercent: Int = 20, requestsPerMinutePerUser: Int = 1200, requestsPerMinutePerAddress: Int = 600,
        cors: CORSPolicy = .off
    ) {
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxBodyBytes = maxBodyBytes
        self.healthInterval = healthInterval
        self.instances = instances
        self.retryBudgetPercent = retryBudgetPercent
        self.requestsPerMinutePerUser = requestsPerMinutePerUser
        self.requestsPerMinutePerAddress = requestsPerMinutePerAddress
        self.cors = cors
    }

    /// Reads the settings, each defaulting to ``defaults``. (The instances of each service are
    /// `services.<name>.url`, several separated by commas, as for every call between services.)
    /// - Throws: ``ServiceSettingError`` naming the key of a value that cannot be used.
    public init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        let defaults = Self.defaults
        self.init(
            connectTimeout: try settings.seconds("connectTimeout", default: defaults.connectTimeout, in: 1...60),
            responseTimeout: try settings.seconds("responseTimeout", default: defaults.responseTimeout, in: 1...600),
            maxBodyBytes: try settings.int("maxBodyBytes", default: defaults.maxBodyBytes, in: 1024...(1 << 30)),
            healthInterval: try settings.seconds("healthInterval", default: defaults.healthInterval, in: 1...300),
            instances: UpstreamInstances.Policy(
                breaker: CircuitBreaker.Policy(
                    failureThreshold: try settings.int("breakerFailures", default: defaults.instances.breaker.failureThreshold, in: 1...100),
                    openDuration: try settings.seconds("breakerOpenSeconds", default: defaults.instances.breaker.openDuration, in: 1...600))),
            retryBudgetPercent: try settings.int("retryBudgetPercent", default: defaults.retryBudgetPercent, in: 0...100),
            requestsPerMinutePerUser: try settings.int("rateLimit.perUser", default: defaults.requestsPerMinutePerUser, in: 0...10_000_000),
            requestsPerMinutePerAddress: try settings.int("rateLimit.perAddress", default: defaults.requestsPerMinutePerAddress, in: 0...10_000_000),
            cors: try Self.cors(settings))
    }

    private static func cors(_ settings: ServiceSettings) throws(ServiceSettingError) -> CORSPolicy {
        let maxAge = try settings.int("cors.maxAge", default: CORSPolicy.off.maxAgeSeconds, in: 0...86_400)
        guard let list = settings.string("cors.allowedOrigins") else { return CORSPolicy(allowedOrigins: [], allowsAnyOrigin: false, maxAgeSeconds: maxAge) }
        switch CORSPolicy.parseOrigins(list) {
        case .success(let parsed):
            return CORSPolicy(allowedOrigins: parsed.origins, allowsAnyOrigin: parsed.any, maxAgeSeconds: maxAge)
        case .failure(let error):
            throw ServiceSettingError(
                key: settings.fullKey("cors.allowedOrigins"),
                reason: "'\(error.entry)' is no origin: write scheme://host[:port] without a path (https://shop.example.com), or *")
        }
    }
}
