import RESP
import Testing

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test("host only: default port, database 0, no credentials")
    func hostOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
    }

    @Test("user, password, port and database")
    func everything() throws {
        let configuration = try RedisConfiguration(url: "redis://app:s3cret@10.0.0.5:6380/3")
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 3)
    }

    @Test("password only, with or without the colon")
    func passwordOnly() throws {
        let withColon = try RedisConfiguration(url: "redis://:pw@localhost")
        #expect(withColon.username == nil)
        #expect(withColon.password == "pw")
        let withoutColon = try RedisConfiguration(url: "redis://pw@localhost:7000/")
        #expect(withoutColon.username == nil)
        #expect(withoutColon.password == "pw")
        #expect(withoutColon.port == 7000)
        #expect(withoutColon.database == 0)
    }

    @Test("percent-encoded credentials are decoded; the scheme is case-insensitive")
    func percentEncoding() throws {
        let configuration = try RedisConfiguration(url: "REDIS://us%40er:p%3Aw%2F%25@host")
        #expect(configuration.username == "us@er")
        #expect(configuration.password == "p:w/%")
    }

    @Test("IPv6 hosts in brackets")
    func ipv6() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 6390)
        #expect(configuration.database == 1)
    }

    @Test("rediss:// is rejected because TLS is not implemented")
    func tls() {
        #expect(throws: RedisClientError.tlsNotSupported("rediss://:***@host:6380")) {
            try RedisConfiguration(url: "rediss://:secret@host:6380")
        }
    }

    @Test(
        "malformed URLs are rejected with the reason",
        arguments: [
            ("localhost:6379", "expected redis://host[:port][/database]"),
            ("http://localhost", "unsupported scheme 'http', expected redis://"),
            ("redis://", "missing host"),
            ("redis://:6379", "missing host"),
            ("redis://host:port", "port must be a number from 1 to 65535"),
            ("redis://host:0", "port must be a number from 1 to 65535"),
            ("redis://host:70000", "port must be a number from 1 to 65535"),
            ("redis://host/db", "database must be a non-negative number, got 'db'"),
            ("redis://host/-1", "database must be a non-negative number, got '-1'"),
            ("redis://host/1?timeout=3", "query parameters and fragments are not supported"),
            ("redis://[::1", "unterminated IPv6 address"),
        ]
    )
    func malformed(url: String, reason: String) {
        #expect(throws: RedisClientError.invalidURL(url, reason: reason)) {
            try RedisConfiguration(url: url)
        }
    }

    @Test("bad percent-encoding is rejected, with the password hidden")
    func badPercentEncoding() {
        #expect(throws: RedisClientError.invalidURL("redis://u:***@host", reason: "bad percent-encoding in user name or password")) {
            try RedisConfiguration(url: "redis://u:%zz@host")
        }
    }

    @Test("errors never show the password")
    func passwordRedacted() {
        do {
            _ = try RedisConfiguration(url: "redis://user:topsecret@host:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
            #expect("\(error)".contains("redis://user:***@host:notaport"))
        }
    }
}

@Suite("Scripts")
struct RedisScriptTests {
    @Test("a script's SHA-1 matches the published test vectors")
    func sha1Vectors() {
        #expect(RedisScript("").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(RedisScript("abc").sha1 == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            RedisScript("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").sha1
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        )
        #expect(RedisScript(String(repeating: "a", count: 1_000)).sha1 == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }
}
