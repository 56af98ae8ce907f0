import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import Identity
import Security
import Storage

/// Builds a whole Emporium process for a test, on a fresh database of the given kind, exactly as
/// `emporium serve` does (same configuration path, same build function).
enum TestPlatform {
    static func settings(database: DatabaseURL, extra: [String: String] = [:]) async throws -> RuntimeSettings {
        // SQLite: one file per service in the test's folder, as `emporium serve` lays them out
        // (services sharing one SQLite file would also share its single write lock).
        var flags: [String: String]
        if case .sqlite(let path?) = database {
            flags = ["data.dir": URL(fileURLWithPath: path).deletingLastPathComponent().path]
        } else {
            flags = ["database.url": database.connectionString]
        }
        flags.merge([
            "http.port": "0", "seed.demo": "true", "auth.bcryptCost": "4",
            "security.dataKeys": keys.dataKeys.map { "\($0.key):\($0.value)" }.joined(separator: ","),
            "security.activeDataKey": keys.activeDataKey, "security.indexKey": keys.indexKey,
        ]) { _, new in new }
        flags.merge(extra) { _, new in new }
        let config = try await ConfigurationLoader.reader(flags: flags, environment: [:], file: nil)
        return try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
    }

    /// The personal-data keys of every test platform of this process (instances that share a
    /// database must share them, as production instances do).
    static let keys = KeyMaterial.generate()

    /// `Authorization` for catalog writes in the current test (set by ``withClient``).
    @TaskLocal static var writerAuthorization: String?

    /// JSON content type plus the current test's ``writerAuthorization``.
    static func writerHeaders(contentType: String = "application/json") -> HTTPFields {
        var headers: HTTPFields = [.contentType: contentType]
        if let writerAuthorization { headers[.authorization] = writerAuthorization }
        return headers
    }

    /// `Bearer <token>` for a new user id with `roles`, signed by the platform's auth service
    /// (which must have started: its keys are in its migrated database).
    static func authorization(_ platform: EmporiumPlatform, roles: Set<Role>, userID: String = UUID.v7().lowercased) async throws -> String {
        let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first, "the auth service runs in the test platform")
        return "Bearer " + (try await auth.issueAccessToken(userID: userID, roles: roles))
    }

    /// Runs `test` against the platform through Hummingbird's in-process router client.
    static func withClient<Result: Sendable>(
        _ kind: DatabaseKind,
        logger: Logger = TestDatabases.logger,
        table: ServiceTable = .standard,
        extra: [String: String] = [:],
        _ test: @Sendable (any TestClientProtocol, EmporiumPlatform) async throws -> Result
    ) async throws -> Result {
        let (url, cleanup) = try await TestDatabases.makeURL(kind)
        do {
            let settings = try await settings(database: url, extra: extra)
            let platform = try await EmporiumPlatform.build(settings: settings, table: table, logger: logger)
            let result = try await platform.application.test(.router) { client in
                try await $writerAuthorization.withValue(try await authorization(platform, roles: [.catalogManager])) {
                    try await test(client, platform)
                }
            }
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }
}

extension ByteBuffer {
    init(json: String) {
        self.init(string: json)
    }
}
