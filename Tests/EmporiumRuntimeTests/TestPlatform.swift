import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix
import ServiceLifecycle
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
extension ServiceTable {
    /// The standard services without those that only consume others' events (notifications,
    /// recommendations): the default of a test platform, since on a machine of two cores every
    /// service of every platform costs time (the recommendations alone apply the 240 seeded
    /// products' events). Their own tests, and the tests of the whole table, name `.standard`.
    static let withoutConsumers = ServiceTable(modules: ServiceTable.standard.modules.filter { !["notifications", "recommendations"].contains($0.name) })
}

enum TestPlatform {
    static func settings(database: DatabaseURL, table: ServiceTable = .standard, extra: [String: String] = [:]) async throws -> RuntimeSettings {
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
            // The gateway's rate limits off: tests send many requests from one address (the
            // gateway's tests set their own).
            "gateway.rateLimit.perAddress": "0", "gateway.rateLimit.perUser": "0",
            "security.dataKeys": keys.dataKeys.map { "\($0.key):\($0.value)" }.joined(separator: ","),
            "security.activeDataKey": keys.activeDataKey, "security.indexKey": keys.indexKey,
            "services.secret": serviceSecret.base64EncodedString(),
            // Without a mail server the notifications write .eml files: not into the checkout.
            "notifications.mailFolder": FileManager.default.temporaryDirectory.appendingPathComponent("emporium-test-mail").path,
        ]) { _, new in new }
        flags.merge(extra) { _, new in new }
        let config = try await ConfigurationLoader.reader(flags: flags, environment: [:], file: nil)
        // Every service's keys are read, as `emporium serve` reads them, whichever the table holds
        // (a gateway-only table still needs `services.<name>.url` of the others).
        let names = ServiceTable.standard.modules.map(\.name) + table.modules.map(\.name).filter { name in
            !ServiceTable.standard.modules.contains { $0.name == name }
        }
        return try RuntimeSettings(config: config, serviceNames: names)
    }

    /// The secret of calls between services of every test platform (unless a test sets its own).
    static let serviceSecret = ServiceCredential.generateSecret()

    /// The `Emporium-Service-Credential` header value of a test's call to an `/internal/` route,
    /// as another service (`orders`) would sign it.
    static func serviceCredential(method: HTTPRequest.Method, uri: String, body: String?) -> String {
        let credential = try! ServiceCredential(secret: serviceSecret)
        return credential.sign(caller: "orders", method: method.rawValue, target: uri, body: Data((body ?? "").utf8))
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

    /// Runs `test` against the platform through Hummingbird's in-process router client, on a
    /// fresh database of `kind`, or `database` when given (which the caller then removes).
    /// `live` serves real HTTP on the configured `http.port` (for tests whose services call
    /// each other over HTTP within the process) instead of the in-process router client; its
    /// client is AsyncHTTPClient's, with a pool of connections, so concurrent requests of a test
    /// run concurrently (Hummingbird's `.live` client has one connection, on which 20 concurrent
    /// checkouts queued up past its read timeout on a loaded machine).
    static func withClient<Result: Sendable>(
        _ kind: DatabaseKind,
        database: DatabaseURL? = nil,
        logger: Logger = TestDatabases.logger,
        table: ServiceTable = .withoutConsumers,
        extra: [String: String] = [:],
        live: Bool = false,
        _ test: @Sendable (any TestClientProtocol, EmporiumPlatform) async throws -> Result
    ) async throws -> Result {
        let (url, cleanup): (DatabaseURL, @Sendable () async -> Void)
        if let database { (url, cleanup) = (database, {}) } else { (url, cleanup) = try await TestDatabases.makeURL(kind) }
        do {
            let settings = try await settings(database: url, table: table, extra: extra)
            let platform = try await EmporiumPlatform.build(settings: settings, table: table, logger: logger)
            let result = try await platform.application.test(live ? .ahc(.http) : .router) { client in
                let writer = platform.services.contains { $0 is AuthService } ? try await authorization(platform, roles: [.catalogManager]) : nil
                return try await $writerAuthorization.withValue(writer) {
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

extension TestPlatform {
    /// Runs a platform of `table` serving HTTP on a free port of 127.0.0.1 (a second process, as
    /// far as its callers can tell) while `body` runs with that port, then stops it. Its database
    /// is a fresh one of `kind`, or `database` when given (to start the same process again).
    static func serving<Result: Sendable>(
        _ kind: DatabaseKind = .sqlite, database: DatabaseURL? = nil, table: ServiceTable = .standard, extra: [String: String] = [:],
        _ body: @Sendable (Int) async throws -> Result
    ) async throws -> Result {
        let (url, cleanup): (DatabaseURL, @Sendable () async -> Void)
        if let database { (url, cleanup) = (database, {}) } else { (url, cleanup) = try await TestDatabases.makeURL(kind) }
        do {
            let settings = try await settings(database: url, table: table, extra: ["seed.demo": "false"].merging(extra) { _, new in new })
            let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let platform = try await EmporiumPlatform.build(settings: settings, table: table, logger: TestDatabases.logger) { port in
                portContinuation.yield(port)
            }
            let group = ServiceGroup(configuration: .init(services: [platform.application], logger: TestDatabases.logger))
            let result = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    defer { portContinuation.finish() }
                    try await group.run()
                }
                let port = try #require(await ports.first { _ in true }, "the platform started")
                do {
                    let result = try await body(port)
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
            }
            await cleanup()
            return result
        } catch {
            await cleanup()
            throw error
        }
    }

    /// A TCP port of 127.0.0.1 that nothing listens on (bound, read, and closed again).
    static func unusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
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
