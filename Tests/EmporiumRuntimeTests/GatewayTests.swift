import AsyncHTTPClient
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Synchronization
import Testing

/// The gateway in a process of its own in front of two catalog instances (processes, as far as
/// it can tell: platforms serving HTTP on ports of 127.0.0.1), over real HTTP.
@Suite("Gateway")
struct GatewayTests {
    static let catalogOnly = ServiceTable(modules: ServiceTable.standard.modules.filter { $0.name == "catalog" })
    static let gatewayOnly = ServiceTable(modules: ServiceTable.standard.modules.filter { $0.name == "gateway" })

    /// A catalog instance on `port` until `stop()`.
    final class Instance: Sendable {
        let port: Int
        private let task: Task<Void, any Error>
        private let stopSignal: AsyncStream<Void>.Continuation

        init(database: DatabaseURL, port: Int, seed: Bool) async throws {
            self.port = port
            let (stopped, stopSignal) = AsyncStream.makeStream(of: Void.self)
            let (started, startedSignal) = AsyncStream.makeStream(of: Int.self)
            self.stopSignal = stopSignal
            self.task = Task {
                try await TestPlatform.serving(
                    database: database, table: GatewayTests.catalogOnly, extra: ["http.port": "\(port)", "seed.demo": seed ? "true" : "false"]
                ) { port in
                    startedSignal.yield(port)
                    for await _ in stopped { break }
                }
            }
            _ = await started.first { _ in true }
        }

        func stop() async {
            stopSignal.yield()
            stopSignal.finish()
            _ = try? await task.value
        }
    }

    /// Runs `body` with a client of a gateway process whose catalog instances are `catalogPorts`
    /// (every other service at a port where nothing listens).
    static func withGateway(
        catalogPorts: [Int], extra: [String: String] = [:], _ body: @Sendable (any TestClientProtocol, GatewayService) async throws -> Void
    ) async throws {
        let nowhere = try await TestPlatform.unusedPort()
        var settings: [String: String] = [
            "gateway.healthInterval": "1", "gateway.breakerOpenSeconds": "1", "gateway.breakerFailures": "2",
            "services.catalog.url": catalogPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ","),
        ]
        for service in GatewayRoutes.standard.services where service != "catalog" {
            settings["services.\(service).url"] = "http://127.0.0.1:\(nowhere)"
        }
        try await TestPlatform.withClient(.sqlite, table: gatewayOnly, extra: settings.merging(extra) { _, new in new }) { client, platform in
            let gateway = try #require(platform.services.lazy.compactMap { $0 as? GatewayService }.first)
            try await body(client, gateway)
        }
    }

    /// How many requests an instance has answered (its own `/metrics`).
    static func answered(by port: Int) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        return text.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") && $0.contains("/v1/products") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0) { $0 + Int($1) }
    }

    @Test("requests go round-robin to both instances, with the request id passed on; /internal/ paths are a 404")
    func routesRoundRobin() async throws {
        let (database, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let first = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: true)
        let second = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: false)
        try await Self.withGateway(catalogPorts: [first.port, second.port]) { client, _ in
            for _ in 0..<10 {
                let response = try await client.execute(uri: "/v1/products?limit=2", method: .get, headers: [.init("X-Request-Id")!: "gateway-test-1"])
                #expect(response.status == .ok)
                #expect(response.headers[.init("X-Request-Id")!] == "gateway-test-1")
                #expect((response.json["items"] as? [[String: Any]])?.count == 2)
            }
            let a = try await Self.answered(by: first.port)
            let b = try await Self.answered(by: second.port)
            #expect(a == 5 && b == 5, "round robin: \(a) and \(b)")
            for path in ["/internal/v1/catalog/variants/lookup", "//internal/v1/x", "/v1/../internal/v1/x", "/%69nternal/v1/x"] {
                let response = try await client.execute(uri: path, method: .post, body: ByteBuffer(string: "{}"))
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
        await second.stop()
        await first.stop()
    }

    @Test("an instance stopped under a loop of reads: no read fails, its breaker opens; restarted, it takes traffic again and its breaker closes")
    func instanceStoppedAndRestarted() async throws {
        let (database, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let first = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: true)
        let secondPort = try await TestPlatform.unusedPort()
        // Health checks far apart: the failed requests, not a health check, take the stopped
        // instance out (its breaker opens), and its breaker's probe brings it back.
        let second = try await Instance(database: database, port: secondPort, seed: false)
        try await Self.withGateway(catalogPorts: [first.port, secondPort], extra: ["gateway.healthInterval": "300"]) { client, gateway in
            for _ in 0..<4 {
                #expect(try await client.execute(uri: "/v1/products?limit=1", method: .get).status == .ok)
            }
            await second.stop()
            var failures = 0
            for _ in 0..<40 {
                if try await client.execute(uri: "/v1/products?limit=1", method: .get).status != .ok { failures += 1 }
            }
            #expect(failures == 0, "GETs are retried on the other instance")
            #expect(gateway.proxy.breakerStates()["catalog"]?[1] != .closed, "the stopped instance's breaker opened")

            let restarted = try await Instance(database: database, port: secondPort, seed: false)
            let before = try await Self.answered(by: secondPort)
            var back = false
            for _ in 0..<100 where !back {
                _ = try await client.execute(uri: "/v1/products?limit=1", method: .get)
                back = try await Self.answered(by: secondPort) > before
                if !back { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(back, "traffic returns to the restarted instance")
            #expect(gateway.proxy.breakerStates()["catalog"] == [.closed, .closed])
            await restarted.stop()
        }
        await first.stop()
    }

    @Test("an instance whose health check fails is out of rotation before any request reaches it")
    func healthCheckEjects() async throws {
        let (database, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let first = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: true)
        let down = try await TestPlatform.unusedPort()
        try await Self.withGateway(catalogPorts: [first.port, down]) { client, gateway in
            // The first round of health checks runs at start; give it time on a loaded machine.
            try await Task.sleep(for: .seconds(3))
            for _ in 0..<10 {
                #expect(try await client.execute(uri: "/v1/products?limit=1", method: .get).status == .ok)
            }
            #expect(try await Self.answered(by: first.port) == 10)
            #expect(gateway.proxy.breakerStates()["catalog"] == [.closed, .closed], "no request failed on the instance that is down")
        }
        await first.stop()
    }

    @Test("a POST without an Idempotency-Key is not retried: an instance that is down is a 502 naming the service")
    func postNotRetried() async throws {
        let down = try await TestPlatform.unusedPort()
        try await Self.withGateway(catalogPorts: [down]) { client, _ in
            let response = try await client.execute(
                uri: "/v1/categories", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"slug": "x", "name": "X"}"#))
            #expect(response.status == .badGateway)
            #expect((response.json["detail"] as? String)?.contains("catalog") == true)
        }
    }
}
