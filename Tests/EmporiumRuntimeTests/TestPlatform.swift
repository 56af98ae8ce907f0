import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import NIOFoundationCompat
import Hummingbird
import HummingbirdTesting
import Logging
import Storage

/// Builds a whole Emporium process for a test, on a fresh database of the given kind, exactly as
/// `emporium serve` does (same configuration path, same build function).
enum TestPlatform {
    static func settings(database: DatabaseURL, extra: [String: String] = [:]) async throws -> RuntimeSettings {
        var flags = ["database.url": database.connectionString, "http.port": "0", "seed.demo": "true"]
        flags.merge(extra) { _, new in new }
        let config = try await ConfigurationLoader.reader(flags: flags, environment: [:], file: nil)
        return try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
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
                try await test(client, platform)
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
