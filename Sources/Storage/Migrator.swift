public import EmporiumCore
import Foundation
public import Logging
import SQLKit

/// Applies a service's ``Migration``s to its database, each once, in order.
///
/// Records are kept per service, so services that share one database (`EMPORIUM_DATABASE_URL`)
/// keep separate histories.
///
/// Each migration runs in its own transaction together with the row that records it, so a failed
/// migration leaves nothing behind. The whole run holds an exclusive lock (a PostgreSQL advisory
/// lock), so two processes starting at once on one database apply each migration exactly once.
public struct Migrator: Sendable {
    /// The table that records applied migrations, one per database.
    static let table = "emporium_schema_migrations"

    private let database: any Database
    private let service: String
    private let logger: Logger

    /// - Parameters:
    ///   - database: The service's database.
    ///   - service: The service whose migrations these are (`catalog`).
    ///   - logger: Where applied migrations are logged.
    public init(database: any Database, service: String, logger: Logger) {
        self.database = database
        self.service = service
        self.logger = logger
    }

    /// Applies every migration not yet recorded and returns the versions it applied.
    /// - Throws: ``MigrationError`` when the list is malformed or the database holds a migration this
    ///   build does not know (a newer build migrated it) or one whose name differs.
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        try Self.validate(migrations)
        let kind = database.kind
        let service = self.service
        return try await database.withExclusiveLock("emporium.migrations") { sql in
            try await sql.raw(
                """
                CREATE TABLE IF NOT EXISTS \(unsafeRaw: Self.table) (
                    service TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (service, version)
                )
                """
            ).run()
            var applied: [Int] = []
            for migration in migrations {
                let didApply = try await SQLTransaction.run(on: sql, kind: kind) { sql in
                    // Checked inside the transaction: on SQLite another process may have applied it
                    // between our check and our write lock.
                    if let recorded = try await Self.recordedName(of: migration.version, service: service, sql) {
                        guard recorded == migration.name else {
                            throw MigrationError.nameMismatch(version: migration.version, recorded: recorded, expected: migration.name)
                        }
                        return false
                    }
                    try await migration.apply(sql, kind)
                    try await sql.raw(
                        """
                        INSERT INTO \(unsafeRaw: Self.table) (service, version, name, applied_at)
                        VALUES (\(bind: service), \(bind: migration.version), \(bind: migration.name), \(bind: Timestamp.format(.now)))
                        """
                    ).run()
                    return true
                }
                if didApply {
                    logger.info("applied migration", metadata: ["service": "\(service)", "version": "\(migration.version)", "name": "\(migration.name)"])
                    applied.append(migration.version)
                }
            }
            let newest = try await sql.raw("SELECT MAX(version) AS version FROM \(unsafeRaw: Self.table) WHERE service = \(bind: service)")
                .first()?.decode(column: "version", as: Int?.self) ?? 0
            if newest > (migrations.last?.version ?? 0) {
                throw MigrationError.unknownVersion(newest)
            }
            return applied
        }
    }

    /// The versions recorded as applied, in order.
    public func appliedVersions() async throws -> [Int] {
        try await database.withConnection { sql in
            try await sql.raw("SELECT version FROM \(unsafeRaw: Self.table) WHERE service = \(bind: service) ORDER BY version").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
    }

    private static func recordedName(of version: Int, service: String, _ sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT name FROM \(unsafeRaw: table) WHERE service = \(bind: service) AND version = \(bind: version)")
            .first()?.decode(column: "name", as: String.self)
    }

    static func validate(_ migrations: [Migration]) throws(MigrationError) {
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw .outOfSequence(position: index + 1, version: migration.version)
        }
    }
}

/// Why migrations could not be applied.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    /// The list must hold versions 1, 2, 3… in order.
    case outOfSequence(position: Int, version: Int)
    /// The database records a version this build does not have: it was migrated by a newer build.
    case unknownVersion(Int)
    /// The database records this version under another name: the migration was edited after release.
    case nameMismatch(version: Int, recorded: String, expected: String)

    public var description: String {
        switch self {
        case .outOfSequence(let position, let version):
            "migration at position \(position) has version \(version); versions must be 1, 2, 3… in order"
        case .unknownVersion(let version):
            "the database is at migration \(version), newer than this build knows; run a newer build"
        case .nameMismatch(let version, let recorded, let expected):
            "migration \(version) was applied as '\(recorded)' but this build calls it '\(expected)'"
        }
    }
}
