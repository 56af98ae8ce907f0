public import EmporiumKit
public import Logging
import Messaging
import Metrics
public import Storage

/// Runs one-off work (`emporium migrate`, `emporium seed`) against the selected services'
/// databases without serving HTTP: opens each database, keeps its pool running for the duration,
/// and closes it afterwards.
public struct MaintenanceRunner: Sendable {
    private let settings: RuntimeSettings
    private let table: ServiceTable
    private let logger: Logger

    public init(settings: RuntimeSettings, table: ServiceTable = .standard, logger: Logger) {
        self.settings = settings
        self.table = table
        self.logger = logger
    }

    /// Opens the databases of the selected services and runs `body` with each service and its
    /// database, in dependency order (a service that keeps no data, the gateway, is left out).
    public func withServices<Result: Sendable>(
        _ body: @Sendable ([(service: any EmporiumService, database: any Database)]) async throws -> Result
    ) async throws -> Result {
        var opened: [(service: any EmporiumService, database: any Database)] = []
        let modules = try table.resolve(settings.services)
        let security = try settings.securitySettings(personalDataServices: modules.filter(\.storesPersonalData).map(\.name))
        for module in modules where module.keepsData {
            let url = try settings.databaseURL(for: module.name)
            let database = try await DatabaseFactory.open(url, maximumConnections: 2, logger: logger)
            let environment = ServiceEnvironment(
                database: database, seedsDemoData: false, logger: logger,
                outbox: Outbox(service: module.name), metrics: NOOPMetricsHandler.instance, security: security,
                settings: settings.serviceSettings(for: module.name), dataDirectory: settings.dataDirectory
            )
            opened.append((try await module.makeService(environment), database))
        }
        let services = opened
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for (_, database) in services {
                group.addTask { try await database.run() }
            }
            defer { group.cancelAll() }
            return try await body(services)
        }
    }

    /// Applies every pending migration of the selected services; returns the versions applied per service.
    public func migrate() async throws -> [String: [Int]] {
        try await withServices { services in try await Self.migrate(services, logger: logger) }
    }

    /// Like ``withServices(_:)``, with each database migrated first (a no-op when a running
    /// server already did it), for administrative commands that may run on a fresh data directory.
    public func withMigratedServices<Result: Sendable>(
        _ body: @Sendable ([(service: any EmporiumService, database: any Database)]) async throws -> Result
    ) async throws -> Result {
        try await withServices { services in
            _ = try await Self.migrate(services, logger: logger)
            return try await body(services)
        }
    }

    /// Re-encrypts the personal data of every selected service that keeps some
    /// (``PersonalDataKeeping``) under the active data key, its database migrated first.
    /// - Returns: The values re-encrypted, by service name.
    public func reencryptPersonalData() async throws -> [String: Int] {
        try await withMigratedServices { services in
            var counts: [String: Int] = [:]
            for (service, _) in services {
                guard let keeper = service as? any PersonalDataKeeping else { continue }
                counts[service.name] = try await keeper.reencryptPersonalData()
            }
            return counts
        }
    }

    private static func migrate(_ services: [(service: any EmporiumService, database: any Database)], logger: Logger) async throws -> [String: [Int]] {
        var applied: [String: [Int]] = [:]
        for (service, database) in services {
            try await Migrator(database: database, service: MessagingSchema.history(of: service.name), logger: logger)
                .migrate(MessagingSchema.migrations)
            applied[service.name] = try await Migrator(database: database, service: service.name, logger: logger).migrate(service.migrations)
        }
        return applied
    }
}
