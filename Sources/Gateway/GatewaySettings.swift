public import EmporiumKit
import Foundation

/// The gateway's own settings (`gateway.*`, see `docs/configuration.md`).
public struct GatewaySettings: Sendable, Equatable {
    /// The instances of each service (`gateway.upstreams.<service>`: base URLs separated by
    /// commas, `http://catalog-1:8080,http://catalog-2:8080`); a service without the key is
    /// reached at its `services.<service>.url`, given by the runtime.
    public var upstreams: [String: [String]]
    /// How long a connection to an instance may take (`gateway.connectTimeout`, seconds).
    public var connectTimeout: Duration
    /// How long an instance may take to start its answer (`gateway.responseTimeout`, seconds).
    public var responseTimeout: Duration
    /// The largest request body passed on (`gateway.maxBodyBytes`); larger is a 413, without
    /// reading it.
    public var maxBodyBytes: Int
    /// How often each instance's `/health/ready` is asked (`gateway.healthInterval`, seconds).
    public var healthInterval: Duration
    /// Rotation and breaker rules (`gateway.ejectAfterFailures`, `gateway.breakerFailures`,
    /// `gateway.breakerOpenSeconds`).
    public var instances: UpstreamInstances.Policy
    /// Retries as a share of requests, in percent (`gateway.retryBudgetPercent`).
    public var retryBudgetPercent: Int
    /// Requests per minute per signed-in user and per client address (`gateway.rateLimit.perUser`,
    /// `gateway.rateLimit.perAddress`); bursts up to the same number.
    public var requestsPerMinutePerUser: Int
    public var requestsPerMinutePerAddress: Int
    /// Origins allowed to call the API from a browser (`gateway.cors.origins`, separated by
    /// commas; `*` for any); none when empty.
    public var corsOrigins: [String]

    public static let defaults = GatewaySettings()

    public init(
        upstreams: [String: [String]] = [:], connectTimeout: Duration = .seconds(2), responseTimeout: Duration = .seconds(30),
        maxBodyBytes: Int = 1 << 20, healthInterval: Duration = .seconds(5), instances: UpstreamInstances.Policy = .init(),
        retryBudgetPercent: Int = 20, requestsPerMinutePerUser: Int = 600, requestsPerMinutePerAddress: Int = 300, corsOrigins: [String] = []
    ) {
        self.upstreams = upstreams
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maxBodyBytes = maxBodyBytes
        self.healthInterval = healthInterval
        self.instances = instances
        self.retryBudgetPercent = retryBudgetPercent
        self.requestsPerMinutePerUser = requestsPerMinutePerUser
        self.requestsPerMinutePerAddress = requestsPerMinutePerAddress
        self.corsOrigins = corsOrigins
    }

    /// Reads the settings for the services of `routes`, each defaulting to ``defaults``.
    /// - Throws: ``ServiceSettingError`` naming the key of a value that cannot be used.
    public init(_ settings: ServiceSettings, routes: GatewayRoutes) throws(ServiceSettingError) {
        let defaults = Self.defaults
        var upstreams: [String: [String]] = [:]
        for service in routes.services {
            guard let raw = settings.string("upstreams.\(service)") else { continue }
            let urls = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for url in urls where !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.hasSuffix("/") {
                throw ServiceSettingError(
                    key: settings.fullKey("upstreams.\(service)"),
                    reason: "'\(url)' is not a base URL such as http://\(service)-1:8080 (http or https, no trailing slash)")
            }
            guard !urls.isEmpty else {
                throw ServiceSettingError(key: settings.fullKey("upstreams.\(service)"), reason: "names no instance")
            }
            upstreams[service] = urls
        }
        let origins = (settings.string("cors.origins") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        self.init(
            upstreams: upstreams,
            connectTimeout: try settings.seconds("connectTimeout", default: defaults.connectTimeout, in: 1...60),
            responseTimeout: try settings.seconds("responseTimeout", default: defaults.responseTimeout, in: 1...600),
            maxBodyBytes: try settings.int("maxBodyBytes", default: defaults.maxBodyBytes, in: 1024...(1 << 30)),
            healthInterval: try settings.seconds("healthInterval", default: defaults.healthInterval, in: 1...300),
            instances: UpstreamInstances.Policy(
                ejectAfterFailures: try settings.int("ejectAfterFailures", default: defaults.instances.ejectAfterFailures, in: 1...100),
                breaker: CircuitBreaker.Policy(
                    failureThreshold: try settings.int("breakerFailures", default: defaults.instances.breaker.failureThreshold, in: 1...100),
                    openDuration: try settings.seconds("breakerOpenSeconds", default: defaults.instances.breaker.openDuration, in: 1...600))),
            retryBudgetPercent: try settings.int("retryBudgetPercent", default: defaults.retryBudgetPercent, in: 0...100),
            requestsPerMinutePerUser: try settings.int("rateLimit.perUser", default: defaults.requestsPerMinutePerUser, in: 1...1_000_000),
            requestsPerMinutePerAddress: try settings.int(
                "rateLimit.perAddress", default: defaults.requestsPerMinutePerAddress, in: 1...1_000_000),
            corsOrigins: origins)
    }
}
