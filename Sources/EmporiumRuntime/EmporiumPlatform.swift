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
import Security
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
    /// Each service's database of reads that may lag (`ServiceEnvironment.readDatabase`), by
    /// service name: a ``ReplicatedDatabase`` for a service with a read replica, else the same
    /// as in ``databases``.
    public let readDatabases: [String: any Database]
    /// Where caches and rate limiters keep shared state (unscoped): Redis when `redis.url` is
    /// set, else this process.
    public let caching: CacheBackend
    /// The event transport of this process.
    public let transport: any EventTransport
    /// Where the process listens, once its server is bound.
    public let address: ProcessAddress

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
        try checkCallees(of: modules, table: table, settings: settings)
        let credential = try settings.serviceCredential()
        let tracing = try TracingBackend.make(settings: settings, services: modules.map(\.name), metrics: metrics.factory, logger: logger)
        var parts = ProcessParts()
        // First to start, last to stop: the spans of everything else are flushed.
        if let exporter = tracing.service { parts.add("tracing.exporter", exporter, logger: logger) }
        let callClient = ServiceCallClient(connectTimeout: min(settings.serviceCallTimeout, .seconds(2)))
        parts.add("service-calls.client", callClient, logger: logger)
        let edgePurger = EdgePurger(settings: settings.edgePurge, client: callClient, metrics: metrics.factory, logger: logger)
        parts.add("edge-cache.purger", edgePurger, logger: logger)
        let ownAddress = ProcessAddress()
        let redis = try await connectRedis(settings, logger: logger, into: &parts)
        let caching = makeCaching(settings, redis: redis)
        let opened: OpenedServices
        let transport: any EventTransport
        do {
            opened = try await openServices(
                modules, settings: settings, caching: caching, credential: credential, callClient: callClient, ownAddress: ownAddress,
                edgePurger: edgePurger, tracing: tracing, metrics: metrics, logger: logger, into: &parts)
            transport = try makeTransport(settings: settings, services: opened.services, metrics: metrics.factory, logger: logger)
        } catch {
            // Nothing will run what was opened: close it before failing.
            for database in parts.databases { await database.close() }
            await redis?.close()
            throw error
        }
        for (name, database) in parts.pools { DatabasePoolMetrics.sample(database, named: name, into: metrics) }
        let migrated = StartSignal()
        wireEvents(opened, transport: transport, startingAfter: migrated, tracer: tracing.exporting, metrics: metrics, logger: logger, into: &parts)
        for service in opened.services {
            for (index, background) in service.backgroundServices.enumerated() {
                parts.add("\(service.name).\(type(of: background)).\(index)", AfterSignal(signal: migrated, service: background), logger: logger)
            }
        }
        let authenticator = makeAuthenticator(services: opened.services, settings: settings, logger: logger, into: &parts)
        // Read-your-writes only where some reads may come from a replica.
        let readYourWrites = opened.readDatabases.values.contains { $0 is ReplicatedDatabase } ? settings.readYourWritesWindow : nil
        let http = makeRouter(
            services: opened.services, checks: parts.checks, authenticator: authenticator, credential: credential,
            trustedProxies: settings.trustedProxies, readYourWrites: readYourWrites, edgeCache: settings.edgeCache, tracer: tracing.tracer,
            metrics: metrics)
        let application = makeApplication(
            router: http.router, settings: settings, services: parts.lifecycle, opened: opened, migrated: migrated,
            onServerRunning: { [host = settings.host] port in
                ownAddress.bound(host: host, port: port)
                await onServerRunning(port)
            }, logger: logger)
        return EmporiumPlatform(
            application: application, services: opened.services, routes: http.routes, openAPI: http.openAPI,
            metrics: metrics, databases: opened.databases, readDatabases: opened.readDatabases, caching: caching, transport: transport,
            address: ownAddress
        )
    }

    // MARK: steps of build

    /// What the process runs besides the HTTP server, in start order (stopped in reverse), and
    /// what `/health/ready` checks.
    struct ProcessParts {
        /// Each named so that one that does not stop is named in the log (``WatchedService``).
        var lifecycle: [any Service] = []
        var checks: [ReadinessCheck] = []
        /// The databases opened so far (each once, even when services share it).
        var databases: [any Database] = []
        /// The same, by the name their pool's metrics carry (``DatabasePoolMetrics``).
        var pools: [(name: String, database: any Database)] = []

        /// Adds a part to run beside the HTTP server, after those added before it.
        mutating func add(_ name: String, _ service: any Service, logger: Logger) {
            lifecycle.append(WatchedService(name: name, service: service, logger: logger))
        }
    }

    /// The selected services, made, with their databases (and those of their reads that may
    /// lag) and outbox relay nudges by service name.
    struct OpenedServices {
        var services: [any EmporiumService] = []
        var databases: [String: any Database] = [:]
        var readDatabases: [String: any Database] = [:]
        var nudges: [String: OutboxRelay.Nudge] = [:]
    }

    /// Every service a selected one calls either runs in this process or has a configured URL,
    /// so a missing address stops the start-up instead of failing every call.
    private static func checkCallees(of modules: [ServiceModule], table: ServiceTable, settings: RuntimeSettings) throws {
        for module in modules {
            for callee in table.remoteCallees(of: module, selection: modules) where settings.serviceURLs[callee] == nil {
                throw ConfigurationError(
                    key: "services.\(callee).url",
                    reason: "the \(module.name) service calls the \(callee) service, which does not run in this process: set its base URL (such as http://\(callee):8080), or run both with --services \(module.name),\(callee)")
            }
        }
    }

    /// One Redis client for the whole process when `redis.url` is set, checked now so that a wrong
    /// address or password stops the start-up; it runs first and closes after everything that
    /// may use it.
    private static func connectRedis(_ settings: RuntimeSettings, logger: Logger, into parts: inout ProcessParts) async throws -> RedisClient? {
        guard let configuration = settings.redis else { return nil }
        let redis = try await connectRedis(configuration, logger: logger)
        parts.add("redis.client", redis, logger: logger)
        parts.checks.append(ReadinessCheck(name: "redis") { _ = try await redis.send(command: "PING", timeout: .seconds(2)) })
        return redis
    }

    /// Where caches and rate limiters keep shared state: Redis when configured, else this process.
    private static func makeCaching(_ settings: RuntimeSettings, redis: RedisClient?) -> CacheBackend {
        var caching = redis.map { CacheBackend.redis($0) } ?? .inMemory
        caching.l1TTL = settings.cacheL1TTL
        return caching
    }

    /// Opens each module's database (services configured onto one SQLite file share it) and makes
    /// the service from its environment, adding each database's pool and readiness check.
    private static func openServices(
        _ modules: [ServiceModule], settings: RuntimeSettings, caching: CacheBackend, credential: ServiceCredential,
        callClient: ServiceCallClient, ownAddress: ProcessAddress, edgePurger: EdgePurger, tracing: TracingBackend, metrics: MetricsRegistry,
        logger: Logger, into parts: inout ProcessParts
    ) async throws -> OpenedServices {
        let tracer = tracing.tracer
        let security = try settings.securitySettings(personalDataServices: modules.filter(\.storesPersonalData).map(\.name))
        var opened = OpenedServices()
        var sqliteFiles: [(url: DatabaseURL, database: any Database)] = []
        for module in modules {
            let url = module.keepsData ? try settings.databaseURL(for: module.name) : .sqlite(path: nil)
            var serviceLogger = logger
            serviceLogger[metadataKey: "service"] = .string(module.name)
            // Services configured onto one SQLite file share its one writer connection: two
            // pools on one file would wait on each other's file lock inside SQLite, blocking
            // threads, instead of queueing for the connection.
            var database: any Database
            if let shared = sqliteFiles.first(where: { $0.url == url })?.database {
                database = shared
            } else {
                database = try await DatabaseFactory.open(url, maximumConnections: settings.maxDatabaseConnections, logger: serviceLogger)
                parts.databases.append(database)
                if module.keepsData { parts.pools.append((module.name, database)) }
                parts.add("\(module.name).database", DatabaseService(database: database), logger: logger)
                if case .sqlite(let path?) = url, !path.isEmpty { sqliteFiles.append((url, database)) }
            }
            if module.keepsData, let exporting = tracing.exporting { database = TracedDatabase(database, name: module.name, tracer: exporting) }
            let readDatabase: any Database
            if module.keepsData {
                opened.databases[module.name] = database
                readDatabase = try openReadDatabase(
                    of: module.name, primary: database, settings: settings, tracer: tracing.exporting, logger: serviceLogger, into: &parts)
            } else {
                readDatabase = database
            }
            opened.readDatabases[module.name] = readDatabase
            let seeds: Bool
            if case .sqlite = url { seeds = settings.seedDemoData ?? true } else { seeds = settings.seedDemoData ?? false }
            let nudge = OutboxRelay.Nudge()
            opened.nudges[module.name] = nudge
            let outbox = Outbox(service: module.name, relayNudge: nudge) { tracer.currentTraceparent() }
            let local = Dictionary(uniqueKeysWithValues: opened.services.map { ($0.name, $0) })
            let peers = ServicePeers(local: local) { [logger = serviceLogger] callee in
                RemoteService(
                    name: callee, baseURLs: settings.serviceURLs[callee] ?? [], caller: module.name, credential: credential,
                    timeout: settings.serviceCallTimeout, client: callClient, tracer: tracer, logger: logger)
            }
            let service = try await module.makeService(
                ServiceEnvironment(
                    database: database, readDatabase: readDatabase, seedsDemoData: seeds, logger: serviceLogger,
                    caching: caching.scoped(to: module.name), outbox: outbox, metrics: metrics.factory,
                    security: security, peers: peers, settings: settings.serviceSettings(for: module.name),
                    dataDirectory: settings.dataDirectory, serviceURLs: settings.serviceURLs, tracer: tracer,
                    callClient: callClient, ownAddress: ownAddress, credential: credential, edgePurger: edgePurger
                )
            )
            opened.services.append(service)
            if module.keepsData { parts.checks.append(ReadinessCheck(name: "\(module.name).database") { [database] in try await database.ping() }) }
            parts.checks += service.readinessChecks
            var configured: Logger.Metadata = ["service": "\(module.name)", "database": module.keepsData ? "\(url)" : "none"]
            if readDatabase is ReplicatedDatabase { configured["read_database"] = "\(readDatabase.location)" }
            logger.info("service configured", metadata: configured)
        }
        return opened
    }

    /// The database of `service`'s reads that may lag: with a read replica configured
    /// (``RuntimeSettings/readReplica(for:)``), the primary and the replica as a
    /// ``ReplicatedDatabase``, the replica's read-only pool a part of the process
    /// (`<service>.database.replica`, also its readiness check); else the primary itself.
    private static func openReadDatabase(
        of service: String, primary: any Database, settings: RuntimeSettings, tracer: (any Tracer)?, logger: Logger, into parts: inout ProcessParts
    ) throws -> any Database {
        guard let endpoint = try settings.readReplica(for: service) else { return primary }
        let replica = DatabaseFactory.openReadReplica(endpoint, maximumConnections: settings.maxDatabaseConnections, logger: logger)
        parts.databases.append(replica)
        parts.pools.append(("\(service).replica", replica))
        parts.add("\(service).database.replica", DatabaseService(database: replica), logger: logger)
        parts.checks.append(ReadinessCheck(name: "\(service).database.replica") { try await replica.ping() })
        return ReplicatedDatabase(primary: primary, replica: tracer.map { TracedDatabase(replica, name: "\(service).replica", tracer: $0) } ?? replica)
    }

    /// What verifies access tokens: the auth service's keys when it runs in this process, else
    /// the key set it publishes (`auth.jwksURL`, or `/.well-known/jwks.json` at
    /// `services.auth.url`, with its readiness check); nil refuses every token.
    private static func makeAuthenticator(
        services: [any EmporiumService], settings: RuntimeSettings, logger: Logger, into parts: inout ProcessParts
    ) -> (any AccessTokenAuthenticating)? {
        if let local = services.lazy.compactMap(\.accessTokenAuthenticator).first { return local }
        // Without `auth.jwksURL`, the key set of the auth service's first instance, when known.
        guard let url = settings.authJWKSURL ?? settings.serviceURLs["auth"]?.first.map({ $0 + "/.well-known/jwks.json" }) else { return nil }
        let remote = RemoteAccessTokenKeys(url: url, issuer: settings.authIssuer, audience: settings.authAudience, logger: logger)
        parts.checks.append(ReadinessCheck(name: "auth.keys") { try await remote.checkReady() })
        return remote
    }

    /// The router with the platform's middleware (outermost first), the platform routes and every
    /// service's routes, the route table, and the merged OpenAPI document.
    /// - Parameter readYourWrites: The window of ``ReadYourWritesMiddleware`` when a service of
    ///   the process has a read replica; nil adds no such middleware.
    private static func makeRouter(
        services: [any EmporiumService], checks: [ReadinessCheck], authenticator: (any AccessTokenAuthenticating)?,
        credential: ServiceCredential, trustedProxies: TrustedProxies, readYourWrites: ReadYourWritesWindow?, edgeCache: EdgeCachePolicy,
        tracer: any Tracer, metrics: MetricsRegistry
    ) -> (router: EmporiumRouter, routes: RouteTable, openAPI: OpenAPIDocument) {
        let routes = RouteTable()
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        router.add(middleware: RequestIdMiddleware())
        if !trustedProxies.isEmpty { router.add(middleware: ClientAddressMiddleware(proxies: trustedProxies)) }
        router.add(middleware: ResponseHeadersMiddleware(privatePathPrefixes: services.flatMap(\.privatePathPrefixes)))
        router.add(middleware: EdgeCacheMiddleware(policy: edgeCache))
        router.add(middleware: TraceContextMiddleware(tracer: tracer))
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics.factory))
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.add(middleware: InputTextMiddleware())
        if let readYourWrites { router.add(middleware: ReadYourWritesMiddleware(window: readYourWrites)) }
        for middleware in services.flatMap(\.edgeMiddlewares) { router.add(middleware: middleware) }
        router.add(middleware: InternalCallMiddleware(credential: credential))
        router.add(middleware: AuthenticationMiddleware(authenticator: authenticator))
        for middleware in services.flatMap(\.frontMiddlewares) { router.add(middleware: middleware) }
        let serviceRouter = ServiceRouter(router: router, table: routes)
        let openAPI = OpenAPIDocument(
            title: "Emporium",
            version: EmporiumVersion.current,
            fragments: [PlatformController.openAPI] + services.map(\.openAPI)
        )
        let health = HealthController(checks: checks, metrics: metrics.factory)
        metrics.samplers.add { await health.sample() }
        health.addRoutes(to: serviceRouter)
        PlatformController(metrics: metrics, openAPI: { openAPI }).addRoutes(to: serviceRouter)
        for service in services { service.addRoutes(to: serviceRouter) }
        return (router, routes, openAPI)
    }

    /// The Hummingbird application: the server with its connection limits (the soft descriptor
    /// limit raised first), `services` run beside it, and before it binds, each service's
    /// migrations and `prepare()`, then `migrated` raised.
    private static func makeApplication(
        router: EmporiumRouter, settings: RuntimeSettings, services: [any Service], opened: OpenedServices,
        migrated: StartSignal, onServerRunning: @escaping @Sendable (Int) async -> Void, logger: Logger
    ) -> EmporiumApplication {
        let serverLimits = httpServerLimits(settings, logger: logger)
        var application = Application(
            router: router,
            server: serverLimits.serverBuilder(),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let preparing = opened.services.map { service in (service, opened.databases[service.name]) }
        application.beforeServerStarts {
            for (service, database) in preparing {
                if let database {
                    try await Migrator(database: database, service: MessagingSchema.history(of: service.name), logger: logger)
                        .migrate(MessagingSchema.migrations)
                    try await Migrator(database: database, service: service.name, logger: logger).migrate(service.migrations)
                }
                try await service.prepare()
            }
            migrated.raise()
        }
        return application
    }

    /// Connections cost file descriptors: use every one the system allows, and keep HTTP
    /// connections below that, with room for databases and brokers.
    private static func httpServerLimits(_ settings: RuntimeSettings, logger: Logger) -> HTTPServerLimits {
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
        return serverLimits
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
