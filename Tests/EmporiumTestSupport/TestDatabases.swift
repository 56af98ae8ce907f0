import EmporiumKit
import Foundation
import Logging
import SQLKit
import Storage
import Testing

/// Databases for tests: a fresh SQLite file, or a fresh database on the PostgreSQL server named by
/// `EMPORIUM_TEST_POSTGRES_URL` (created per test and dropped afterwards).
///
/// `scripts/test` starts a throwaway PostgreSQL and sets the URL plus
/// `EMPORIUM_TEST_REQUIRE_POSTGRES=1`, which turns a missing server into a failure instead of a skip.
/// It also starts a streaming hot standby of that server, `EMPORIUM_TEST_POSTGRES_REPLICA_URL`,
/// for the read-replica tests (required alike).
public enum TestDatabases {
    /// The admin URL of the test PostgreSQL server, if one is configured.
    public static let postgresURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether PostgreSQL tests must run (CI), so a missing URL fails them.
    public static let postgresRequired = ProcessInfo.processInfo.environment["EMPORIUM_TEST_REQUIRE_POSTGRES"] == "1"

    /// Whether PostgreSQL tests are enabled: a server is configured, or required (then they fail).
    public static let postgresEnabled = postgresURL != nil || postgresRequired

    /// Why PostgreSQL tests are skipped.
    public static let postgresSkipReason: Comment =
        "PostgreSQL tests need EMPORIUM_TEST_POSTGRES_URL (scripts/test starts a server and sets it)"

    /// The admin URL of a hot standby of the test PostgreSQL server, if one is configured: it
    /// holds every database made on that server, moments after it is made.
    public static let postgresReplicaURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_POSTGRES_REPLICA_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether the read-replica tests are enabled: a standby is configured, or PostgreSQL is
    /// required (then they fail without one).
    public static let postgresReplicaEnabled = postgresReplicaURL != nil || postgresRequired

    /// Why the read-replica tests are skipped.
    public static let postgresReplicaSkipReason: Comment =
        "read-replica tests need EMPORIUM_TEST_POSTGRES_REPLICA_URL (scripts/test starts a hot standby and sets it)"

    /// The database `primary` (a database of the test PostgreSQL server) as the standby serves it.
    public static func replica(of primary: DatabaseURL) throws -> DatabaseURL.PostgresEndpoint {
        guard let raw = postgresReplicaURL, case .postgres(var endpoint) = try DatabaseURL(parsing: raw),
            case .postgres(let database) = primary
        else { throw TestDatabaseError.replicaNotConfigured }
        endpoint.database = database.database
        return endpoint
    }

    /// A logger that drops everything below warnings.
    public static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    /// A new, empty database of `kind` as a URL: an SQLite file in a temp folder, or a new
    /// PostgreSQL database. `cleanup` removes it.
    public static func makeURL(_ kind: DatabaseKind) async throws -> (url: DatabaseURL, cleanup: @Sendable () async -> Void) {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return (.sqlite(path: folder.appendingPathComponent("test.sqlite").path), { try? FileManager.default.removeItem(at: folder) })
        case .postgres:
            guard let raw = postgresURL else {
                throw TestDatabaseError.postgresNotConfigured
            }
            guard case .postgres(var endpoint) = try DatabaseURL(parsing: raw) else { throw TestDatabaseError.postgresNotConfigured }
            let name = "emporium_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
            try await admin(endpoint) { sql in try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let adminEndpoint = endpoint
            endpoint.database = name
            return (.postgres(endpoint), {
                try? await admin(adminEndpoint) { sql in
                    try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
                }
            })
        }
    }

    /// Opens a fresh database of `kind`, runs `body` with its pool running, then closes and removes it.
    public static func withDatabase<Result: Sendable>(
        _ kind: DatabaseKind,
        _ body: @Sendable (any Database) async throws -> Result
    ) async throws -> Result {
        let (url, cleanup) = try await makeURL(kind)
        do {
            let result = try await withOpenDatabase(url, body)
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }

    /// Opens `url`, runs `body` while its pool runs, then stops the pool.
    public static func withOpenDatabase<Result: Sendable>(
        _ url: DatabaseURL,
        _ body: @Sendable (any Database) async throws -> Result
    ) async throws -> Result {
        let database = try await DatabaseFactory.open(url, maximumConnections: 4, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    private static func admin(_ endpoint: DatabaseURL.PostgresEndpoint, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        try await withOpenDatabase(.postgres(endpoint)) { database throws in
            try await database.withConnection { sql in try await body(sql) }
        }
    }
}

/// Why a test database could not be made.
public enum TestDatabaseError: Error, CustomStringConvertible {
    case postgresNotConfigured
    case replicaNotConfigured

    public var description: String {
        switch self {
        case .postgresNotConfigured:
            "EMPORIUM_TEST_REQUIRE_POSTGRES=1 but EMPORIUM_TEST_POSTGRES_URL is not a postgres:// URL"
        case .replicaNotConfigured:
            "EMPORIUM_TEST_REQUIRE_POSTGRES=1 but EMPORIUM_TEST_POSTGRES_REPLICA_URL is not a postgres:// URL"
        }
    }
}
