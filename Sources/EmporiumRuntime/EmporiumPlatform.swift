public import EmporiumCore
public import Caching
public import EmporiumKit
import Foundation
public import Hummingbird
public import Logging
import Messaging
import NIOCore
import RESP
public import ServiceLifecycle
public import Storage
import Tracing

/// The Hummingbird application type every Emporium process runs.
public typealias EmporiumApplication = Application<RouterResponder<EmporiumRequestContext>>

/// Composes the selected services into one process: their databases, migrations, routes,
/// middleware, health, metrics and OpenAPI document, in one Hummingbird application.
///
/// This is the only code that knows which services share the process. Production (`emporium serve`)
/// and tests build the process through ``build(settings:table:logger:metrics:onServerRunning:)``.
public struct EmporiumPlatform: Sendable {
    /// The HTTP application; a `Service` that also runs the databases and background services.
    public let application: EmporiumApplication
    /// The services running in this process, in dependency order.
    public let services: [any EmporiumService]
    /// Every route registered, for 405 answers and the OpenAPI completeness check.
    public let routes: RouteTable
    /// The OpenAPI document of this process.
    public let openAPI: OpenAPIDocument
    /// The Prometheus registry `/metrics` exposes.
    public let metrics: MetricsRegistry
    /// Each service's database, by service name.
    public let databases: [String: any Database]
    /// Where caches and rate limiters keep shared state (unscoped): Redis when `redis.url` is
    /// set, else this process.
    public let caching: CacheBackend
    /// The event transport of this process.
    public let transport: any EventTransport

    /// Builds the process for `settings`. Nothing listens and no migration runs until
    /// ``application`` runs; databases are opened (SQLite files created) here.
    /// - Parameters:
    ///   - settings: The validated configuration.
    ///   - table: The services this build knows (tests may pass their own).
    ///   - logger: The process logger.
    ///   - metrics: The registry for this process's metrics.
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func build(
        settings: RuntimeSettings,
        table: ServiceTable = .standard,
        logger: Logger,
        metrics: MetricsRegistry = MetricsRegistry(),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> EmporiumPlatform {
        let modules = try table.resolve(settings.services)
        let security = try settings.securitySettings(personalDataServices: modules.filter(\.storesPersonalData).map(\.name))
        let tracer = TraceContextTracer()
        var services: [any EmporiumService] = []
        var databases: [String: any Database] = [:]
        var sharedSQLite: [(url: DatabaseURL, database: any Database)] = []
        var nudges: [String: OutboxRelay.Nudge] = [:]
        var lifecycle: [any Service] = []
        var checks: [ReadinessCheck] = []
        // One Redis client for the whole process, checked now so that a wrong address or
        // password stops the start-up; it closes after everything that may use it.
        let redis: RedisClient?
        if let configuration = settings.redis {
            redis = try await connectRedis(configuration, logger: logger)
        } else {
            redis = nil
        }
        var caching = redis.map { CacheBackend.redis($0) } ?? .inMemory
        caching.l1TTL = settings.cacheL1TTL
        if let redis {
            lifecycle.append(redis)
            checks.append(ReadinessCheck(name: "redis") { _ = try await redis.send(command: "PING", timeout: .seconds(2)) })
        }
        do {
            for module in modules {
                let url = try settings.databaseURL(for: module.name)
                var serviceLogger = logger
                serviceLogger[metadataKey: "service"] = .string(module.name)
                // Services configured onto one SQLite file share its one writer connection: two
                // pools on one file would wait on each other's file lock inside SQLite, blocking
                // threads, instead of queueing for the connection.
                let shared = sharedSQLite.first { $0.url == url }?.database
                let database: any Database
                if let shared {
                    database = shared
                } else {
                    database = try await DatabaseFactory.open(url, maximumConnections: settings.maxDatabaseConnections, logger: serviceLogger)
                }
                if shared == nil, case .sqlite(let path?) = url, !path.isEmpty { sharedSQLite.append((url, database)) }
                databases[module.name] = database
                let seeds: Bool
                if case .sqlite = url { seeds = settings.seedDemoData ?? true } else { seeds = settings.seedDemoData ?? false }
                let nudge = OutboxRelay.Nudge()
                nudges[module.name] = nudge
                let outbox = Outbox(service: module.name, relayNudge: nudge) { tracer.currentTraceparent() }
                let service = try await module.make(
                    ServiceEnvironment(
                        database: database, seedsDemoData: seeds, logger: serviceLogger,
                        caching: caching.scoped(to: module.name), outbox: outbox, metrics: metrics.factory,
                        security: security
                    )
                )
                services.append(service)
                if shared == nil { lifecycle.append(DatabaseService(database: database)) }
                checks.append(ReadinessCheck(name: "\(module.name).database") { try await database.ping() })
                checks += service.readinessChecks
                logger.info("service configured", metadata: ["service": "\(module.name)", "database": "\(url)"])
            }
        } catch {
            // Nothing will run these databases (or Redis): close what was opened before failing.
            for database in databases.values { await database.close() }
            await redis?.close()
            throw error
        }

        // Events: one transport per process; per service, a relay for its outbox and, when it
        // subscribes to events, a consumer. Both start once migrations are done.
        let transport = try makeTransport(settings: settings, services: services, logger: logger)
        let migrated = StartSignal()
        lifecycle.append(TransportService(transport: transport))
        checks.append(ReadinessCheck(name: "broker") { try await transport.checkReady() })
        for service in services {
            guard let database = databases[service.name], let nudge = nudges[service.name] else { continue }
            var serviceLogger = logger
            serviceLogger[metadataKey: "service"] = .string(service.name)
            lifecycle.append(AfterSignal(signal: migrated, service: OutboxRelay(
                service: service.name, database: database, transport: transport, nudge: nudge,
                metrics: metrics.factory, logger: serviceLogger
            )))
            lifecycle.append(AfterSignal(signal: migrated, service: MessagingJanitor(
                service: service.name, database: database, logger: serviceLogger
            )))
            if !service.broadcastSubscriptions.isEmpty {
                lifecycle.append(AfterSignal(signal: migrated, service: BroadcastConsumer(
                    consumer: service.name, transport: transport, subscriptions: service.broadcastSubscriptions
                )))
            }
            if !service.eventSubscriptions.isEmpty {
                lifecycle.append(AfterSignal(signal: migrated, service: EventConsumer(
                    consumer: service.name, database: database, transport: transport,
                    subscriptions: service.eventSubscriptions, metrics: metrics.factory, logger: serviceLogger
                )))
            }
        }
        for service in services { lifecycle += service.backgroundServices }

        // Tokens are verified with the auth service's keys when it runs in this process, else
        // with the key set it publishes (auth.jwksURL).
        var authenticator = services.lazy.compactMap(\.accessTokenAuthenticator).first
        if authenticator == nil, let url = settings.authJWKSURL {
            let remote = RemoteAccessTokenKeys(url: url, issuer: settings.authIssuer, audience: settings.authAudience, logger: logger)
            checks.append(ReadinessCheck(name: "auth.keys") { try await remote.checkReady() })
            authenticator = remote
        }

        let routes = RouteTable()
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        router.add(middleware: RequestIdMiddleware())
        router.add(middleware: ResponseHeadersMiddleware(privatePathPrefixes: services.flatMap(\.privatePathPrefixes)))
        router.add(middleware: TraceContextMiddleware(tracer: tracer))
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics.factory))
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.add(middleware: InputTextMiddleware())
        router.add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        let serviceRouter = ServiceRouter(router: router, table: routes)
        let openAPI = OpenAPIDocument(
            title: "Emporium",
            version: EmporiumVersion.current,
            fragments: [PlatformController.openAPI] + services.map(\.openAPI)
        )
        HealthController(checks: checks).addRoutes(to: serviceRouter)
        PlatformController(metrics: metrics, openAPI: { openAPI }).addRoutes(to: serviceRouter)
        for service in services { service.addRoutes(to: serviceRouter) }

        // Connections cost file descriptors: use every one the system allows, and keep HTTP
        // connections below that, with room for databases and brokers.
        let descriptors = FileDescriptorLimit.raiseSoftLimit()
        let serverLimits = settings.httpServerLimits(fileDescriptorLimit: descriptors)
        logger.info("http server limits", metadata: [
            "file_descriptor_limit": "\(descriptors.map(String.init) ?? "unknown")",
            "file_descriptor_hard_limit": "\(FileDescriptorLimit.current()?.hard.map(String.init) ?? "unlimited")",
            "max_connections": "\(serverLimits.maxConnections)",
            "request_head_timeout": "\(serverLimits.requestHeadTimeout)",
            "request_body_timeout": "\(serverLimits.requestBodyTimeout)", "idle_timeout": "\(serverLimits.idleTimeout)",
        ])
        if let descriptors, serverLimits.maxConnections > descriptors - RuntimeSettings.reservedFileDescriptors(fileDescriptorLimit: descriptors) {
            logger.warning("http.maxConnections leaves few file descriptors for databases and brokers", metadata: [
                "max_connections": "\(serverLimits.maxConnections)", "file_descriptor_limit": "\(descriptors)",
            ])
        }
        var application = Application(
            router: router,
            server: serverLimits.serverBuilder(),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            services: lifecycle,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let preparing = services.compactMap { service in databases[service.name].map { (service, $0) } }
        application.beforeServerStarts {
            for (service, database) in preparing {
                try await Migrator(database: database, service: MessagingSchema.history(of: service.name), logger: logger)
                    .migrate(MessagingSchema.migrations)
                try await Migrator(database: database, service: service.name, logger: logger).migrate(service.migrations)
                try await service.prepare()
            }
            migrated.raise()
        }
        return EmporiumPlatform(
            application: application, services: services, routes: routes,
            openAPI: openAPI, metrics: metrics, databases: databases, caching: caching, transport: transport
        )
    }

    /// A client for `redis.url` that has answered a `PING` (so it connected and authenticated).
    /// - Throws: ``ConfigurationError`` for `redis.url`, naming the server (password hidden) and
    ///   what went wrong.
    private static func connectRedis(_ configuration: RedisConfiguration, logger: Logger) async throws -> RedisClient {
        var configuration = configuration
        if configuration.clientName == nil { configuration.clientName = "emporium" }
        let redis = RedisClient(configuration: configuration, logger: logger)
        do {
            _ = try await redis.send(command: "PING", timeout: configuration.connectTimeout)
        } catch {
            await redis.close()
            throw ConfigurationError(key: "redis.url", reason: "Redis at \(configuration.redactedURL) is not usable: \(error)")
        }
        logger.info("redis configured", metadata: ["redis": "\(configuration.redactedURL)"])
        return redis
    }
}

extension RedisConfiguration {
    /// The server as a URL with the password replaced by `***`, for logs and errors.
    var redactedURL: String {
        var credentials = username ?? ""
        if password != nil { credentials += ":***" }
        if !credentials.isEmpty { credentials += "@" }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "redis://\(credentials)\(hostPart):\(port)/\(database)"
    }
}

/// Runs a database's pool as a `Service` of the process, so it closes after the HTTP server stops.
struct DatabaseService: Service {
    let database: any Database
    func run() async throws { try await database.run() }
}

/// The version of this build, shown in the OpenAPI document.
public enum EmporiumVersion {
    public static let current = "0.1.0"
}
