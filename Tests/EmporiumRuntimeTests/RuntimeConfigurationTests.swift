import Configuration
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import Storage
import Security
import Testing

@Suite struct ServiceTableTests {
    static func module(_ name: String, _ dependencies: [String] = []) -> ServiceModule {
        ServiceModule(name: name, dependencies: dependencies, summary: name) { _ in
            struct Unused: Error {}
            throw Unused()
        }
    }

    let table = ServiceTable(modules: [
        module("orders", ["inventory", "payments"]), module("inventory"), module("payments"), module("catalog"),
    ])

    @Test func allSelectsEveryServiceAfterItsDependencies() throws {
        let names = try table.resolve("all").map(\.name)
        #expect(Set(names) == ["orders", "inventory", "payments", "catalog"])
        #expect(names.firstIndex(of: "inventory")! < names.firstIndex(of: "orders")!)
        #expect(names.firstIndex(of: "payments")! < names.firstIndex(of: "orders")!)
    }

    @Test func aSubsetBringsItsDependencies() throws {
        #expect(try table.resolve("orders").map(\.name) == ["inventory", "payments", "orders"])
        #expect(try table.resolve(" catalog , catalog").map(\.name) == ["catalog"])
    }

    @Test func unknownNamesAreRefusedWithTheValidOnes() {
        #expect(throws: ServiceSelectionError.unknown("nosuch", valid: ["all", "orders", "inventory", "payments", "catalog"])) {
            try table.resolve("catalog,nosuch")
        }
        #expect(throws: ServiceSelectionError.self) { try table.resolve(" , ") }
    }

    @Test func cyclesAreRefused() {
        let cyclic = ServiceTable(modules: [Self.module("a", ["b"]), Self.module("b", ["a"])])
        #expect(throws: ServiceSelectionError.cycle(["a", "b", "a"])) { try cyclic.resolve("a") }
    }
}

@Suite struct RuntimeSettingsTests {
    func settings(flags: [String: String] = [:], environment: [String: String] = [:], file: String? = nil) async throws -> RuntimeSettings {
        let config = try await ConfigurationLoader.reader(flags: flags, environment: environment, file: file)
        return try RuntimeSettings(config: config, serviceNames: ["catalog", "orders"])
    }

    @Test func defaults() async throws {
        let settings = try await settings()
        #expect(settings.port == 8080)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.services == "all")
        #expect(settings.logLevel == .info)
        #expect(try settings.databaseURL(for: "catalog") == .sqlite(path: URL(fileURLWithPath: "./.emporium/catalog.sqlite").path))
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-\(UUID().uuidString).json")
        try Data(#"{"http": {"port": 7000, "host": "0.0.0.0"}, "log": {"level": "debug"}, "data": {"dir": "/from/file"}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try await settings(
            flags: ["http.port": "9000"],
            environment: ["EMPORIUM_HTTP_PORT": "8000", "EMPORIUM_LOG_LEVEL": "warning", "HTTP_PORT": "1"],
            file: file.path
        )
        #expect(settings.port == 9000)
        #expect(settings.logLevel == .warning)
        #expect(settings.host == "0.0.0.0")
        #expect(settings.dataDirectory == "/from/file")
    }

    @Test func databasePerServiceThenSharedThenSQLite() async throws {
        let settings = try await settings(environment: [
            "EMPORIUM_DATABASE_URL": "postgres://u@shared:5432/shop",
            "EMPORIUM_CATALOG_DATABASE_URL": "postgres://u@catalog-db:5432/catalog",
        ])
        #expect(try settings.databaseURL(for: "catalog") == .postgres(.init(host: "catalog-db", username: "u", database: "catalog")))
        #expect(try settings.databaseURL(for: "orders") == .postgres(.init(host: "shared", username: "u", database: "shop")))
    }

    @Test func readReplicaPerServiceThenSharedWithTheSharedDatabase() async throws {
        let settings = try await settings(environment: [
            "EMPORIUM_DATABASE_URL": "postgres://u@shared:5432/shop",
            "EMPORIUM_DATABASE_READ_URL": "postgres://u@shared-standby:5432/shop",
            "EMPORIUM_CATALOG_DATABASE_READ_URL": "postgres://u@catalog-standby:5432/shop",
        ])
        #expect(try settings.readReplica(for: "catalog") == .init(host: "catalog-standby", username: "u", database: "shop"))
        #expect(try settings.readReplica(for: "orders") == .init(host: "shared-standby", username: "u", database: "shop"))
        #expect(settings.readYourWritesWindow == ReadYourWritesWindow(seconds: 5))
        // The shared replica is a copy of the shared database, not of a service's own.
        let own = try await self.settings(environment: [
            "EMPORIUM_DATABASE_URL": "postgres://u@shared:5432/shop",
            "EMPORIUM_DATABASE_READ_URL": "postgres://u@shared-standby:5432/shop",
            "EMPORIUM_CATALOG_DATABASE_URL": "postgres://u@catalog-db:5432/catalog",
        ])
        #expect(try own.readReplica(for: "catalog") == nil)
        #expect(try await self.settings().readReplica(for: "catalog") == nil, "no replica by default")
        #expect(try await self.settings(flags: ["database.readYourWritesSeconds": "30"]).readYourWritesWindow.seconds == 30)
    }

    @Test func aReadReplicaNeedsAPostgreSQLPrimaryAndNamesItsKey() async throws {
        for (environment, key) in [
            // SQLite primaries: the default, or named.
            (["EMPORIUM_CATALOG_DATABASE_READ_URL": "postgres://u@standby:5432/catalog"], "catalog.database.readURL"),
            (["EMPORIUM_DATABASE_READ_URL": "postgres://u@standby:5432/shop"], "database.readURL"),
            ([
                "EMPORIUM_CATALOG_DATABASE_URL": "sqlite:/data/catalog.sqlite",
                "EMPORIUM_CATALOG_DATABASE_READ_URL": "postgres://u@standby:5432/catalog",
            ], "catalog.database.readURL"),
            // Malformed, or not PostgreSQL.
            (["EMPORIUM_DATABASE_URL": "postgres://u@db:5432/shop", "EMPORIUM_CATALOG_DATABASE_READ_URL": "postgres://standby"], "catalog.database.readURL"),
            (["EMPORIUM_DATABASE_URL": "postgres://u@db:5432/shop", "EMPORIUM_DATABASE_READ_URL": "sqlite:/data/copy.sqlite"], "database.readURL"),
        ] {
            let settings = try await settings(environment: environment)
            #expect("\(environment)") {
                try settings.readReplica(for: "catalog")
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
        let sqlitePrimary = try await settings(environment: ["EMPORIUM_CATALOG_DATABASE_READ_URL": "postgres://u@standby:5432/catalog"])
        #expect("the message names the environment variable and the reason") {
            try sqlitePrimary.readReplica(for: "catalog")
        } throws: { error in
            String(describing: error).contains("EMPORIUM_CATALOG_DATABASE_READ_URL") && String(describing: error).contains("SQLite")
        }
        await #expect(throws: ConfigurationError.self) { try await settings(flags: ["database.readYourWritesSeconds": "0"]) }
    }

    @Test("tracing: off without an endpoint; a base URL gets /v1/traces; a bad URL or ratio names its key")
    func tracingSettings() async throws {
        #expect(try await settings().tracing == nil)
        let base = try await settings(environment: ["EMPORIUM_TRACING_OTLP_ENDPOINT": "http://jaeger:4318/"])
        #expect(base.tracing == TracingSettings(endpoint: "http://jaeger:4318/v1/traces", sampleRatio: 1))
        let full = try await settings(environment: [
            "EMPORIUM_TRACING_OTLP_ENDPOINT": "https://collector:4318/otlp/v1/traces", "EMPORIUM_TRACING_SAMPLE_RATIO": "0.01",
        ])
        #expect(full.tracing == TracingSettings(endpoint: "https://collector:4318/otlp/v1/traces", sampleRatio: 0.01))
        for (variable, value, key) in [
            ("EMPORIUM_TRACING_OTLP_ENDPOINT", "jaeger:4318", "tracing.otlpEndpoint"),
            ("EMPORIUM_TRACING_OTLP_ENDPOINT", "grpc://jaeger:4317", "tracing.otlpEndpoint"),
            ("EMPORIUM_TRACING_SAMPLE_RATIO", "1.5", "tracing.sampleRatio"),
            ("EMPORIUM_TRACING_SAMPLE_RATIO", "some", "tracing.sampleRatio"),
        ] {
            var environment = ["EMPORIUM_TRACING_OTLP_ENDPOINT": "http://jaeger:4318"]
            environment[variable] = value
            await #expect {
                try await settings(environment: environment)
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }

    @Test("edge cache: times from the settings; purging off by default; a purger without its URL or token, or an unknown kind, names its key")
    func edgeCacheSettings() async throws {
        let defaults = try await settings()
        #expect(defaults.edgeCache == EdgeCachePolicy(maxAge: 60, staleWhileRevalidate: 30, staleIfError: 86_400))
        #expect(defaults.edgePurge.kind == .none)
        let varnish = try await settings(environment: [
            "EMPORIUM_EDGE_CACHE_MAX_AGE": "5", "EMPORIUM_EDGE_CACHE_PURGE_KIND": "varnish",
            "EMPORIUM_EDGE_CACHE_PURGE_URL": "http://varnish-a:6081, http://varnish-b:6081",
        ])
        #expect(varnish.edgeCache.maxAge == 5)
        #expect(varnish.edgePurge == EdgePurgeSettings(kind: .varnish, urls: ["http://varnish-a:6081", "http://varnish-b:6081"]))
        for (environment, key) in [
            (["EMPORIUM_EDGE_CACHE_PURGE_KIND": "akamai"], "edgeCache.purge.kind"),
            (["EMPORIUM_EDGE_CACHE_PURGE_KIND": "varnish"], "edgeCache.purge.url"),
            (["EMPORIUM_EDGE_CACHE_PURGE_KIND": "varnish", "EMPORIUM_EDGE_CACHE_PURGE_URL": "varnish:6081"], "edgeCache.purge.url"),
            (["EMPORIUM_EDGE_CACHE_PURGE_KIND": "fastly", "EMPORIUM_EDGE_CACHE_PURGE_URL": "https://api.fastly.com/service/S/purge"], "edgeCache.purge.token"),
            (["EMPORIUM_EDGE_CACHE_MAX_AGE": "-1"], "edgeCache.maxAge"),
        ] {
            await #expect {
                try await settings(environment: environment)
            } throws: { error in
                (error as? ConfigurationError)?.key == key
            }
        }
    }

    @Test func invalidValuesNameTheirKey() async throws {
        await #expect {
            try await settings(environment: ["EMPORIUM_HTTP_PORT": "eighty"])
        } throws: { error in
            String(describing: error).contains("EMPORIUM_HTTP_PORT")
        }
        await #expect(throws: ConfigurationError.self) { try await settings(environment: ["EMPORIUM_LOG_LEVEL": "loud"]) }
        await #expect(throws: ConfigurationError.self) { try await settings(flags: ["http.port": "70000"]) }
        let bad = try await settings(environment: ["EMPORIUM_CATALOG_DATABASE_URL": "mysql://x/y"])
        #expect {
            try bad.databaseURL(for: "catalog")
        } throws: { error in
            (error as? ConfigurationError)?.key == "catalog.database.url"
        }
    }

    @Test func personalDataKeys() async throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let index = Data(repeating: 9, count: 32).base64EncodedString()
        // On PostgreSQL, a service keeping personal data needs configured keys; others do not.
        let postgres = try await settings(flags: ["database.url": "postgres://u@db:5432/shop"])
        #expect(throws: ConfigurationError.self) { try postgres.securitySettings(personalDataServices: ["users"]) }
        do {
            _ = try postgres.securitySettings(personalDataServices: ["users"])
        } catch let error as ConfigurationError {
            #expect(error.key == "security.dataKeys")
        }
        _ = try postgres.securitySettings(personalDataServices: [])
        let configured = try await settings(flags: [
            "database.url": "postgres://u@db:5432/shop", "security.dataKeys": "old:\(key),new:\(key)", "security.activeDataKey": "new",
            "security.indexKey": index,
        ])
        #expect(try configured.securitySettings(personalDataServices: ["users"]).cipher.ring.activeKeyID == "new")
        // Bad key material names its key (and never shows the value).
        for (flags, key) in [
            (["security.dataKeys": "k1:c2hvcnQ=", "security.indexKey": index], "security.dataKeys"),
            (["security.dataKeys": "k1:\(key)"], "security.indexKey"),
            (["security.dataKeys": "k1:\(key)", "security.indexKey": "short"], "security.indexKey"),
            (["security.dataKeys": "k1:\(key)", "security.indexKey": index, "security.activeDataKey": "k2"], "security.dataKeys"),
            (["security.indexKey": index], "security.dataKeys"),
            (["auth.jwksURL": "auth:8080/jwks"], "auth.jwksURL"),
            (["auth.bcryptCost": "3"], "auth.bcryptCost"),
        ] {
            do {
                _ = try await settings(flags: flags)
                Issue.record("accepted \(flags)")
            } catch let error as ConfigurationError {
                #expect(error.key == key, "\(flags)")
                #expect(!error.description.contains(key == "security.dataKeys" ? Data(repeating: 7, count: 32).base64EncodedString() : "\u{0}"))
            }
        }
    }

    @Test func environmentNames() {
        #expect(ConfigurationError.environmentName(of: "http.port") == "EMPORIUM_HTTP_PORT")
        #expect(ConfigurationError.environmentName(of: "database.maxConnections") == "EMPORIUM_DATABASE_MAX_CONNECTIONS")
        #expect(ConfigurationError.environmentName(of: "catalog.database.url") == "EMPORIUM_CATALOG_DATABASE_URL")
        #expect(ConfigurationError.environmentName(of: "database.readURL") == "EMPORIUM_DATABASE_READ_URL")
        #expect(ConfigurationError.environmentName(of: "catalog.database.readURL") == "EMPORIUM_CATALOG_DATABASE_READ_URL")
        #expect(ConfigurationError.environmentName(of: "database.readYourWritesSeconds") == "EMPORIUM_DATABASE_READ_YOUR_WRITES_SECONDS")
        #expect(ConfigurationError.environmentName(of: "inventory.reservationTTL") == "EMPORIUM_INVENTORY_RESERVATION_TTL")
        #expect(ConfigurationError.environmentName(of: "cache.l1TTL") == "EMPORIUM_CACHE_L1TTL")
    }

    /// The names above are the ones the environment provider reads.
    @Test func environmentNamesAreRead() async throws {
        let config = try await ConfigurationLoader.reader(
            flags: [:], environment: ["EMPORIUM_CACHE_L1TTL": "9", "EMPORIUM_DATABASE_MAX_CONNECTIONS": "3"], file: nil)
        let settings = try RuntimeSettings(config: config, serviceNames: ["catalog"])
        #expect(settings.cacheL1TTL == .seconds(9))
        #expect(settings.maxDatabaseConnections == 3)
    }
}
