public import EmporiumKit
import Caching
import Foundation
public import Hummingbird
import Logging
import NIOCore
public import ServiceLifecycle
public import Storage

/// The API gateway (`--services gateway`): the one address clients use. Requests for services
/// that run in other processes go to their instances (`services.<name>.url`, several separated
/// by commas) round-robin, with health checks, circuit breakers, time-outs and retries of what
/// may be sent twice; services in the same process are served by their own routes behind the
/// same edge rules. See docs/gateway.md.
public struct GatewayService: EmporiumService {
    public let name = "gateway"
    public let migrations: [Migration] = []
    /// The public routes of the services it sends to other processes (those of its own process
    /// are in their services' documents; a service without instances is not served).
    public let openAPI: OpenAPIFragment
    public let settings: GatewaySettings
    /// Sends requests to the services of other processes.
    public let proxy: UpstreamProxy
    private let routes: GatewayRoutes
    private let requirements: AccessRequirements
    private let perUser: (any RateLimiter)?
    private let perAddress: (any RateLimiter)?
    private let rateLimited: GatewayRateLimitMiddleware.RefusalCounters
    /// The routed services that run in this process.
    private let local: Set<String>
    private let client: ServiceCallClient
    private let logger: Logger

    /// - Parameters:
    ///   - environment: The gateway's environment; `peers` tells which services run here and
    ///     `serviceURLs` where the others' instances are.
    ///   - fronted: The public routes (OpenAPI) of every service it fronts, by name.
    ///   - routes: Which service answers which path.
    public init(environment: ServiceEnvironment, fronted: [String: OpenAPIFragment], routes: GatewayRoutes = .standard) throws {
        let settings = try GatewaySettings(environment.settings)
        var instances: [String: [String]] = [:]
        var local: Set<String> = []
        for service in routes.services {
            if environment.peers.isLocal(service) {
                local.insert(service)
            } else if let urls = environment.serviceURLs[service], !urls.isEmpty {
                instances[service] = urls
            }
        }
        let client = ServiceCallClient(
            connectTimeout: settings.connectTimeout, readTimeout: settings.responseTimeout, connectionsPerHost: 64)
        self.settings = settings
        self.requirements = AccessRequirements(Array(fronted.values))
        self.perUser = settings.requestsPerMinutePerUser > 0
            ? environment.caching.makeRateLimiter(name: "users", policy: RateLimitPolicy(requests: settings.requestsPerMinutePerUser, per: .seconds(60)))
            : nil
        self.perAddress = settings.requestsPerMinutePerAddress > 0
            ? environment.caching.makeRateLimiter(name: "addresses", policy: RateLimitPolicy(requests: settings.requestsPerMinutePerAddress, per: .seconds(60)))
            : nil
        self.rateLimited = GatewayRateLimitMiddleware.RefusalCounters(factory: environment.metrics)
        self.openAPI = Self.merged(fronted.filter { instances[$0.key] != nil }.sorted { $0.key < $1.key }.map(\.value))
        self.routes = routes
        self.local = local
        self.client = client
        self.logger = environment.logger
        self.proxy = UpstreamProxy(
            instances: instances, settings: settings, client: client, tracer: environment.tracer, metrics: environment.metrics, logger: environment.logger)
        if !instances.isEmpty {
            environment.logger.info("gateway upstreams", metadata: [
                "upstreams": .string(instances.keys.sorted().map { "\($0)=\(instances[$0]!.joined(separator: ","))" }.joined(separator: " ")),
            ])
        }
    }

    public var edgeMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] {
        let edge: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] = [GatewayEdgeMiddleware(maxBodyBytes: settings.maxBodyBytes)]
        return settings.cors.isOn ? [GatewayCORSMiddleware(policy: settings.cors)] + edge : edge
    }

    public var frontMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] {
        [
            GatewayRateLimitMiddleware(routes: routes, perUser: perUser, perAddress: perAddress, refusals: rateLimited, logger: logger),
            GatewayProxyMiddleware(routes: routes, requirements: requirements, proxy: proxy, local: local),
        ]
    }

    /// The instances' health checks, and the HTTP client (made at the first request, shut down
    /// when the process stops).
    public var backgroundServices: [any Service] {
        let proxy = self.proxy
        let interval = settings.healthInterval
        return [
            PeriodicJob(interval: interval, logger: logger, failure: "gateway health checks failed") {
                await proxy.checkHealth(timeout: min(interval, .seconds(2)))
            },
            client,
        ]
    }

    public func addRoutes(to router: ServiceRouter) {}

    /// One fragment of several (the first definition of a path or component wins).
    static func merged(_ fragments: [OpenAPIFragment]) -> OpenAPIFragment {
        var merged = OpenAPIFragment()
        for fragment in fragments {
            merged.paths.merge(fragment.paths) { first, _ in first }
            for (kind, definitions) in fragment.components { merged.components[kind, default: [:]].merge(definitions) { first, _ in first } }
            merged.tags += fragment.tags
        }
        return merged
    }
}
