public import Hummingbird
public import Tracing
public import Caching
public import Logging
public import Messaging
public import Metrics
public import ServiceLifecycle
public import Storage
public import Security

/// One Emporium service (catalog, orders, …) as the runtime composes it into a process.
///
/// A service is a value: the runtime creates it from a ``ServiceEnvironment``, applies its
/// migrations, calls ``prepare()``, registers its routes and runs its background services. Which
/// other services it needs, and whether it shares the process with them, is the runtime's business
/// (its one dependency table); a service never asks.
public protocol EmporiumService: Sendable {
    /// The service's name, kebab-case, as used by `--services` (`catalog`).
    var name: String { get }

    /// The schema migrations of the service's own database, in order.
    var migrations: [Migration] { get }

    /// The OpenAPI 3.1 description of the service's public routes (see ``OpenAPIFragment``).
    var openAPI: OpenAPIFragment { get }

    /// Long-running work (schedulers, housekeeping) started once every service of the process
    /// is migrated and prepared, and stopped, gracefully, before its database.
    var backgroundServices: [any Service] { get }

    /// Checks beyond the database (which the runtime checks for every service) that must pass for
    /// `/health/ready` to report ready.
    var readinessChecks: [ReadinessCheck] { get }

    /// The events this service consumes and how it applies them (each in a transaction with its
    /// inbox, so redeliveries have no second effect).
    var eventSubscriptions: [EventSubscription] { get }

    /// The events every instance of this service applies to its in-process state (cache
    /// invalidation), at most once and without an inbox.
    var broadcastSubscriptions: [BroadcastSubscription] { get }

    /// Registers the service's routes.
    func addRoutes(to router: ServiceRouter)

    /// Verifies access tokens for every service of the process, when this service holds the
    /// signing keys (the auth service); nil for the others.
    var accessTokenAuthenticator: (any AccessTokenAuthenticating)? { get }

    /// Runs once after migrations and before the process serves traffic (e.g. seeds demo data).
    func prepare() async throws

    /// Path prefixes of the service's routes that answer with tokens or personal data
    /// (`/v1/users`): their responses, errors included, carry `Cache-Control: no-store`
    /// (``ResponseHeadersMiddleware``).
    var privatePathPrefixes: [String] { get }
    /// Middleware this service puts in front of every route of the process, before calls
    /// between services are verified and access tokens read (the gateway's edge rules).
    var edgeMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] { get }
    /// Middleware this service puts in front of every route of the process, once the access
    /// token is read (the gateway's proxy to services in other processes).
    var frontMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] { get }
}

extension EmporiumService {
    public var backgroundServices: [any Service] { [] }
    public var readinessChecks: [ReadinessCheck] { [] }
    public var eventSubscriptions: [EventSubscription] { [] }
    public var broadcastSubscriptions: [BroadcastSubscription] { [] }
    public var accessTokenAuthenticator: (any AccessTokenAuthenticating)? { nil }
    public func prepare() async throws {}
    public var privatePathPrefixes: [String] { [] }
    public var edgeMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] { [] }
    public var frontMiddlewares: [any MiddlewareProtocol<Request, Response, EmporiumRequestContext>] { [] }
}

/// What the runtime hands a service when it creates it.
public struct ServiceEnvironment: Sendable {
    /// The service's own database.
    public var database: any Database
    /// Where the service reads what may lag behind its writes (lists, searches): a
    /// ``ReplicatedDatabase`` over ``database`` and its read replica when the service has one
    /// (`<service>.database.readURL`), which reads from the primary within a request's
    /// read-your-writes window; otherwise ``database`` itself.
    public var readDatabase: any Database
    /// Whether the service should fill an empty database with demo data (the embedded default).
    public var seedsDemoData: Bool
    /// The service's logger (labelled with its name).
    public var logger: Logger
    /// Where the service's caches and rate limiters keep shared state (Redis when `redis.url`
    /// is set, else this process), already scoped to the service's key namespace.
    public var caching: CacheBackend
    /// Where the service records the events it publishes, inside its own transactions.
    public var outbox: Outbox
    /// Where the service's metrics go.
    public var metrics: any MetricsFactory
    /// Token issuer and audience, password hashing cost, and the personal-data keys.
    public var security: SecuritySettings
    /// The services this one calls (the runtime table's `calls`), local or remote.
    public var peers: ServicePeers
    /// The service's own configuration keys (`<service>.<key>`), read when the service is made.
    public var settings: ServiceSettings
    /// The folder of the process's local files (`data.dir`: SQLite databases, keys), for a
    /// service that keeps files of its own there.
    public var dataDirectory: String
    /// The instances of the services that run in other processes (`services.<name>.url`), by
    /// service name: where the gateway sends their requests.
    public var serviceURLs: [String: [String]]
    /// The process's tracer: for a service that makes spans of its own (the gateway's calls to
    /// the instances it passes requests to). A `NoOpTracer` by default.
    public var tracer: any Tracer
    /// The process's HTTP client for calls to other services (made at the first call, shut down
    /// when the process stops): for a service that calls public APIs itself (the storefront).
    public var callClient: ServiceCallClient
    /// Where this process listens, once its server is bound (`http://127.0.0.1:8080`).
    public var ownAddress: ProcessAddress
    /// The credential of calls between services, from the deployment's shared secret
    /// (`services.secret`): also where a service derives keys of its own
    /// (``ServiceCredential/derivedKey(for:)``). Nil when made without the runtime.
    public var credential: ServiceCredential?
    /// Purges the edge cache by surrogate key (`edgeCache.purge.*`); purges nothing when none is configured.
    public var edgePurger: EdgePurger

    public init(
        database: any Database, readDatabase: (any Database)? = nil, seedsDemoData: Bool, logger: Logger,
        caching: CacheBackend = .inMemory, outbox: Outbox, metrics: any MetricsFactory,
        security: SecuritySettings, peers: ServicePeers = .none, settings: ServiceSettings? = nil, dataDirectory: String = "./.emporium",
        serviceURLs: [String: [String]] = [:], tracer: any Tracer = NoOpTracer(),
        callClient: ServiceCallClient = ServiceCallClient(connectTimeout: .seconds(2)), ownAddress: ProcessAddress = ProcessAddress(),
        credential: ServiceCredential? = nil, edgePurger: EdgePurger = .disabled()
    ) {
        self.edgePurger = edgePurger
        self.callClient = callClient
        self.ownAddress = ownAddress
        self.credential = credential
        self.dataDirectory = dataDirectory
        self.serviceURLs = serviceURLs
        self.tracer = tracer
        self.security = security
        self.peers = peers
        self.settings = settings ?? ServiceSettings(service: outbox.service)
        self.database = database
        self.readDatabase = readDatabase ?? database
        self.seedsDemoData = seedsDemoData
        self.logger = logger
        self.caching = caching
        self.outbox = outbox
        self.metrics = metrics
    }
}
