import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Storage
import Testing

/// The hot standby of the test PostgreSQL server (`EMPORIUM_TEST_POSTGRES_REPLICA_URL`), driven
/// by a test: waited for, and its replay of the primary's WAL paused and resumed.
enum TestStandby {
    /// Waits until the standby has replayed everything `primary`'s server has written so far.
    static func waitForReplay(of primary: DatabaseURL, on replica: DatabaseURL.PostgresEndpoint) async throws {
        let lsn = try await TestDatabases.withOpenDatabase(primary) { database in
            try await database.withConnection { sql in
                try await sql.raw("SELECT pg_current_wal_lsn()::text AS lsn").first()!.decode(column: "lsn", as: String.self)
            }
        }
        _ = try await TestDatabases.withOpenDatabase(.postgres(replica)) { database in
            try await waitUntil("the standby replayed the primary's WAL up to \(lsn)") {
                try await database.withConnection { sql in
                    try await sql.raw("SELECT pg_last_wal_replay_lsn() >= \(bind: lsn)::pg_lsn AS done").first()!.decode(column: "done", as: Bool.self)
                }
            }
        }
    }

    /// Runs `body` while the standby replays nothing (it keeps receiving the primary's WAL), and
    /// resumes the replay afterwards, whether `body` returns or throws.
    static func withReplayPaused<Result: Sendable>(
        _ replica: DatabaseURL.PostgresEndpoint, _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        try await replay(replica, "pg_wal_replay_pause()")
        let result: Result
        do {
            result = try await body()
        } catch {
            try? await replay(replica, "pg_wal_replay_resume()")
            throw error
        }
        try await replay(replica, "pg_wal_replay_resume()")
        return result
    }

    private static func replay(_ replica: DatabaseURL.PostgresEndpoint, _ function: String) async throws {
        try await TestDatabases.withOpenDatabase(.postgres(replica)) { database in
            try await database.withConnection { sql in _ = try await sql.raw("SELECT \(unsafeRaw: function)").all() }
        }
    }
}

/// The catalog with a read replica, against a real streaming hot standby: lists and searches
/// come from the standby, except for a client that has just written.
///
/// Serialized: a test pauses the standby's replay, which no other test may see (no other suite
/// uses the standby).
@Suite(
    "Read replica", .serialized,
    .enabled(if: TestDatabases.postgresReplicaEnabled, TestDatabases.postgresReplicaSkipReason)
)
struct ReadReplicaTests {
    /// The catalog, and the auth service for the writer's token.
    static let table = ServiceTable(modules: ServiceTable.standard.modules.filter { ["auth", "catalog"].contains($0.name) })

    /// A fresh database on the test server, its catalog platform reading from the standby,
    /// with a read-your-writes window long enough for a loaded machine.
    static func withReplicatedCatalog(
        _ test: @Sendable (any TestClientProtocol, EmporiumPlatform, DatabaseURL, DatabaseURL.PostgresEndpoint) async throws -> Void
    ) async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.postgres)
        do {
            let replica = try TestDatabases.replica(of: url)
            let extra = [
                "catalog.database.readURL": DatabaseURL.postgres(replica).connectionString,
                "database.readYourWritesSeconds": "120", "seed.demo": "false",
            ]
            try await TestPlatform.withClient(.postgres, database: url, table: table, extra: extra) { client, platform throws in
                try await test(client, platform, url, replica)
            }
            await cleanup()
        } catch {
            await cleanup()
            throw error
        }
    }

    /// The ids of the items `uri` lists, sent with `headers`.
    static func listed(_ client: any TestClientProtocol, _ uri: String, _ headers: HTTPFields = [:]) async throws -> [String] {
        try await client.execute(uri: uri, method: .get, headers: headers) { response in
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            return (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
    }

    /// Sends a write and returns its answer's body, its `Cookie` request header to send back
    /// (the marker cookie without its attributes), and its `Emporium-Read-Primary` header.
    static func write(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String
    ) async throws -> (json: [String: Any], cookie: String, marker: String) {
        try await client.execute(uri: uri, method: method, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) { response in
            #expect(response.status == .created, "\(uri): \(String(buffer: response.body))")
            let setCookie = try #require(response.headers[.setCookie], "a write sets the read-your-writes cookie")
            for attribute in ["Max-Age=120", "Path=/", "HttpOnly", "SameSite=Lax"] {
                #expect(setCookie.contains(attribute), "\(attribute) in \(setCookie)")
            }
            let marker = try #require(response.headers[ReadYourWritesWindow.header])
            let cookie = String(setCookie.prefix { $0 != ";" })
            #expect(cookie == "emporium-read-primary=\(marker)")
            return (response.json, cookie, marker)
        }
    }

    @Test("lists and searches are served by the standby; a writer's next reads by the primary")
    func listsReadTheReplicaUnlessTheClientJustWrote() async throws {
        try await Self.withReplicatedCatalog { client, platform, primary, replica throws in
            #expect(!(platform.readDatabases["auth"] is ReplicatedDatabase), "only the catalog has a replica")
            let category = try #require(
                try await Self.write(client, .post, "/v1/categories", #"{"slug": "replicated", "name": "Replicated"}"#).json["id"] as? String)
            try await TestStandby.waitForReplay(of: primary, on: replica)
            #expect(try await Self.listed(client, "/v1/categories").contains(category), "the standby has replayed the category")
            let readDatabase = try #require(platform.readDatabases["catalog"] as? ReplicatedDatabase)
            await #expect("the standby's sessions refuse writes") {
                try await readDatabase.withConnection { sql in try await sql.raw("DELETE FROM categories").run() }
            } throws: { error in
                String(reflecting: error).contains("25006")  // read_only_sql_transaction
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains("catalog.database.replica"))
            }
            // Each pool has its gauges, the replica's named after the service.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(MetricsRegistry.value(#"emporium_readiness_check_up{check="catalog.database.replica"}"#, in: metrics) == 1)
            #expect(MetricsRegistry.value(#"emporium_db_pool_waiting{database="catalog.replica"}"#, in: metrics) == 0)
            let replicaIdle = MetricsRegistry.value(#"emporium_db_pool_connections{database="catalog.replica",state="idle"}"#, in: metrics)
            #expect(replicaIdle.map { $0 >= 1 } == true, "the standby's connection that served the list: \(String(describing: replicaIdle))")
            #expect(MetricsRegistry.value(#"emporium_db_pool_connections{database="catalog",state="in_use"}"#, in: metrics) != nil)

            let product = try await TestStandby.withReplayPaused(replica) {
                let body = CatalogAPIContract.validProduct(sku: "REPLICA-1", categoryId: category)
                let (json, cookie, marker) = try await Self.write(client, .post, "/v1/products", body)
                let product = try #require(json["id"] as? String)
                // The product reaches the search model on the primary through its event.
                try await waitUntil("the writer's list shows the new product") {
                    try await Self.listed(client, "/v1/products", [.cookie: cookie]).contains(product)
                }
                #expect(!(try await Self.listed(client, "/v1/products").contains(product)), "the paused standby serves the list")
                #expect(!(try await Self.listed(client, "/v1/products?q=trail").contains(product)), "and the search")
                #expect(try await Self.listed(client, "/v1/products?q=trail", [.cookie: cookie]).contains(product))
                #expect(try await Self.listed(client, "/v1/products?category=\(category)", [ReadYourWritesWindow.header: marker]).contains(product),
                        "the echoed header works as the cookie does")
                let ended = String(Int(Date().timeIntervalSince1970) - 1)
                #expect(!(try await Self.listed(client, "/v1/products", [.cookie: "emporium-read-primary=\(ended)"]).contains(product)),
                        "a window that has ended reads the standby")
                try await client.execute(uri: "/v1/products/\(product)", method: .get) { response in
                    #expect(response.status == .ok, "one product is read from the primary, marker or not")
                }

                let (created, categoryCookie, _) = try await Self.write(client, .post, "/v1/categories", #"{"slug": "paused", "name": "Paused"}"#)
                let paused = try #require(created["id"] as? String)
                #expect(!(try await Self.listed(client, "/v1/categories").contains(paused)), "the paused standby serves the categories")
                #expect(try await Self.listed(client, "/v1/categories", [.cookie: categoryCookie]).contains(paused))
                return product
            }
            try await waitUntil("the resumed standby lists the product") {
                try await Self.listed(client, "/v1/products").contains(product)
            }
        }
    }
}

/// A read replica is PostgreSQL only: configured for a service on SQLite, it stops the start-up.
@Suite struct ReadReplicaConfigurationTests {
    @Test func aReplicaOfAnSQLiteDatabaseStopsTheStartUp() async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        let table = ServiceTable(modules: ServiceTable.standard.modules.filter { $0.name == "catalog" })
        await #expect {
            let settings = try await TestPlatform.settings(
                database: url, table: table, extra: ["catalog.database.readURL": "postgres://emporium@standby:5432/catalog"])
            _ = try await EmporiumPlatform.build(settings: settings, table: table, logger: TestDatabases.logger)
        } throws: { error in
            (error as? ConfigurationError)?.key == "catalog.database.readURL"
        }
        await cleanup()
    }
}
