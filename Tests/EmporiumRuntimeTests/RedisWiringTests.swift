import Caching
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import RESP
import Testing
import Storage

/// The test Redis servers `scripts/services/redis.sh` starts.
enum TestRedisURLs {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["EMPORIUM_TEST_REDIS_URL"]
    static let authURL = environment["EMPORIUM_TEST_REDIS_AUTH_URL"]
    static let reason: Comment = "needs Redis: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""

    /// The password-protected server's URL with a wrong password, and that password.
    static func wrongPasswordURL() throws -> (url: String, password: String) {
        let good = try #require(authURL)
        let password = "not-the-password-\(UUID().uuidString.prefix(6))"
        let at = try #require(good.lastIndex(of: "@"))
        return ("redis://:\(password)\(good[at...])", password)
    }
}

/// `redis.url`: read and validated with the other settings, checked at start-up, reported by
/// `/health/ready`.
@Suite("Redis configuration")
struct RedisWiringTests {
    static func settings(_ environment: [String: String]) async throws -> RuntimeSettings {
        let config = try await ConfigurationLoader.reader(flags: [:], environment: environment, file: nil)
        return try RuntimeSettings(config: config, serviceNames: ["catalog"])
    }

    @Test func unsetMeansInMemory() async throws {
        #expect(try await Self.settings([:]).redis == nil)
        let platform = try await TestPlatform.withClient(.sqlite) { _, platform in platform.caching.isShared }
        #expect(platform == false)
    }

    @Test func urlIsParsed() async throws {
        let settings = try await Self.settings(["EMPORIUM_REDIS_URL": "redis://app:secret@cache.internal:6380/2"])
        let redis = try #require(settings.redis)
        #expect(redis.host == "cache.internal")
        #expect(redis.port == 6380)
        #expect(redis.username == "app")
        #expect(redis.password == "secret")
        #expect(redis.database == 2)
    }

    @Test func badURLNamesTheKeyAndHidesThePassword() async throws {
        for bad in ["http://:hunter2@cache:6379", "redis://:hunter2@cache:99999", "redis://:hunter2@cache/db"] {
            await #expect {
                try await Self.settings(["EMPORIUM_REDIS_URL": bad])
            } throws: { error in
                let text = String(describing: error)
                return (error as? ConfigurationError)?.key == "redis.url" && text.contains("EMPORIUM_REDIS_URL") && !text.contains("hunter2")
            }
        }
    }

    @Test(.enabled(if: TestRedisURLs.authURL != nil, TestRedisURLs.reason))
    func refusedAuthenticationStopsTheStartUp() async throws {
        let (url, password) = try TestRedisURLs.wrongPasswordURL()
        let error = await #expect(throws: ConfigurationError.self) {
            try await TestPlatform.withClient(.sqlite, extra: ["redis.url": url]) { _, _ in }
        }
        let text = String(describing: try #require(error))
        #expect(error?.key == "redis.url")
        #expect(text.contains("EMPORIUM_REDIS_URL"))
        #expect(text.contains("authentication failed"), "\(text)")
        #expect(text.contains("redis://:***@127.0.0.1"), "\(text)")
        #expect(!text.contains(password))
    }

    @Test func unreachableRedisStopsTheStartUp() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await TestPlatform.withClient(.sqlite, extra: ["redis.url": "redis://127.0.0.1:1"]) { _, _ in }
        }
        #expect(String(describing: try #require(error)).contains("could not connect to Redis at 127.0.0.1:1"))
    }

    @Test(.enabled(if: TestRedisURLs.url != nil, TestRedisURLs.reason))
    func readinessReportsRedis() async throws {
        let url = try #require(TestRedisURLs.url)
        try await TestPlatform.withClient(.sqlite, extra: ["redis.url": url]) { client, platform throws in
            #expect(platform.caching.isShared)
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                let checks = response.json["checks"] as? [String: [String: Any]]
                #expect(checks?["redis"]?["status"] as? String == "up")
                #expect(checks?["catalog.database"]?["status"] as? String == "up")
            }
        }
    }

    @Test(.enabled(if: TestRedisURLs.authURL != nil, TestRedisURLs.reason))
    func serveExitsNonZeroOnRefusedAuthentication() throws {
        let (url, password) = try TestRedisURLs.wrongPasswordURL()
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CommandLineTests.run(
            ["serve", "--port", "0", "--data-dir", directory.path],
            environment: ["EMPORIUM_REDIS_URL": url]
        )
        #expect(run.status != 0)
        #expect(run.error.contains("EMPORIUM_REDIS_URL"), "\(run.error)")
        #expect(!(run.output + run.error).contains(password))
    }

    @Test func serveExitsNonZeroOnABadURL() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CommandLineTests.run(
            ["serve", "--port", "0", "--data-dir", directory.path],
            environment: ["EMPORIUM_REDIS_URL": "redis://:hunter2@cache:port"]
        )
        #expect(run.status != 0)
        #expect(run.error.contains("EMPORIUM_REDIS_URL"), "\(run.error)")
        #expect(!run.error.contains("hunter2"))
    }
}
