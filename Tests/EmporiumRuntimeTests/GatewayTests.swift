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

        init(database: DatabaseURL, port: Int, seed: Bool, table: ServiceTable = GatewayTests.catalogOnly, extra: [String: String] = [:]) async throws {
            self.port = port
            let (stopped, stopSignal) = AsyncStream.makeStream(of: Void.self)
            let (started, startedSignal) = AsyncStream.makeStream(of: Int.self)
            self.stopSignal = stopSignal
            self.task = Task {
                try await TestPlatform.serving(
                    database: database, table: table, extra: extra.merging(["http.port": "\(port)", "seed.demo": seed ? "true" : "false"]) { _, new in new }
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
        catalogPorts: [Int], authPort: Int? = nil, extra: [String: String] = [:], live: Bool = false,
        _ body: @Sendable (any TestClientProtocol, GatewayService) async throws -> Void
    ) async throws {
        let nowhere = try await TestPlatform.unusedPort()
        var settings: [String: String] = [
            "gateway.healthInterval": "1", "gateway.breakerOpenSeconds": "1", "gateway.breakerFailures": "2",
            "services.catalog.url": catalogPorts.map { "http://127.0.0.1:\($0)" }.joined(separator: ","),
        ]
        for service in GatewayRoutes.standard.services where service != "catalog" {
            settings["services.\(service).url"] = "http://127.0.0.1:\(service == "auth" ? authPort ?? nowhere : nowhere)"
        }
        try await TestPlatform.withClient(.sqlite, table: gatewayOnly, extra: settings.merging(extra) { _, new in new }, live: live) { client, platform in
            let gateway = try #require(platform.services.lazy.compactMap { $0 as? GatewayService }.first)
            try await body(client, gateway)
        }
    }

    /// Runs `body` with an auth instance and a catalog instance that verifies tokens with its keys,
    /// each on its own SQLite database, then stops them.
    static func withAuthAndCatalog(
        authSettings: [String: String] = [:], _ body: @Sendable (_ auth: Instance, _ catalog: Instance) async throws -> Void
    ) async throws {
        let authOnly = ServiceTable(modules: ServiceTable.standard.modules.filter { $0.name == "auth" })
        let (authDatabase, cleanupAuth) = try await TestDatabases.makeURL(.sqlite)
        let (catalogDatabase, cleanupCatalog) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanupAuth(); await cleanupCatalog() } }
        let auth = try await Instance(database: authDatabase, port: try await TestPlatform.unusedPort(), seed: false, table: authOnly, extra: authSettings)
        let catalog = try await Instance(
            database: catalogDatabase, port: try await TestPlatform.unusedPort(), seed: true,
            extra: ["services.auth.url": "http://127.0.0.1:\(auth.port)"])
        do {
            try await body(auth, catalog)
        } catch {
            await catalog.stop()
            await auth.stop()
            throw error
        }
        await catalog.stop()
        await auth.stop()
    }

    /// How many requests an instance has answered (its own `/metrics`), of `method` when given.
    static func answered(by port: Int, method: String? = nil) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        return text.split(separator: "\n")
            .filter { line in
                line.hasPrefix("http_requests_total{") && line.contains("/v1/products") && (method.map { line.contains("method=\"\($0)\"") } ?? true)
            }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0) { $0 + Int($1) }
    }

    /// The value of the gateway's metric line that starts with `series` (name and labels).
    static func metric(_ series: String, _ client: any TestClientProtocol) async throws -> Int? {
        let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }

    @Test("the storefront's pages go through the gateway to a storefront process; the gateway's own paths stay its own")
    func storefrontThroughTheGateway() async throws {
        let shopTable = ServiceTable(modules: ServiceTable.standard.modules.filter { ["catalog", "storefront"].contains($0.name) })
        let (database, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let shop = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: true, table: shopTable)
        do {
            try await Self.withGateway(catalogPorts: [shop.port], extra: ["services.storefront.url": "http://127.0.0.1:\(shop.port)"]) { client, _ in
                for path in ["/", "/search?q=lamp", "/signin"] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok, "\(path)")
                        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                        #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)
                        #expect(String(buffer: response.body).contains("<h1>"))
                    }
                }
                let home = try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) }
                let stylesheet = try #require(Browser.first(#"<link rel="stylesheet" href="(/assets/storefront\.[0-9a-f]{10}\.css)">"#, in: home))
                try await client.execute(uri: stylesheet, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable", "a content-hashed name")
                }
                // The gateway's own routes are not the storefront's.
                try await client.execute(uri: "/health/live", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                }
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(!String(buffer: response.body).contains("\"/search\""))
                }
            }
        } catch {
            await shop.stop()
            throw error
        }
        await shop.stop()
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
            // TRACE (with a body, which the HTTP client would refuse) and unknown methods are not
            // sent on: a 405 with what the path allows, as the catalog itself answers.
            let before = try await Self.answered(by: first.port) + Self.answered(by: second.port)
            for method in [HTTPRequest.Method.trace, HTTPRequest.Method(rawValue: "QUERY")!, .connect] {
                let response = try await client.execute(uri: "/v1/products", method: method, body: ByteBuffer(string: "{}"))
                #expect(response.status == .methodNotAllowed, "\(method)")
                #expect(response.headers[.allow] == "GET, POST", "\(method)")
            }
            #expect(try await client.execute(uri: "/v1/products/x/y/z", method: .trace).status == .notFound)
            #expect(try await Self.answered(by: first.port) + Self.answered(by: second.port) == before, "no instance saw them")
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
            let stoppedGauge = #"emporium_gateway_breaker_state{service="catalog",instance="http://127.0.0.1:\#(secondPort)"}"#
            let open = try await Self.metric(stoppedGauge, client)
            #expect(open == 1 || open == 2, "the metric shows it open (or half-open, probing): \(open.map(String.init) ?? "none")")

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
            #expect(try await Self.metric(stoppedGauge, client) == 0, "the metric shows it closed again")
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

    @Test("a token the gateway refuses never reaches an upstream: 401 where one is needed, dropped where not; 403 for roles without the permission; a valid one passes")
    func tokensAtTheGateway() async throws {
        try await Self.withAuthAndCatalog { auth, catalog in
            try await Self.withGateway(catalogPorts: [catalog.port], authPort: auth.port) { client, _ in
                try await IdentityAPIContract.register(client, "gateway-shopper@example.com")
                let valid = try await IdentityAPIContract.login(client, "gateway-shopper@example.com").authorization
                let parts = valid.dropFirst("Bearer ".count).split(separator: ".").map(String.init)
                let tampered = "Bearer \(parts[0]).\(parts[1]).\(String(parts[2].reversed()))"
                let unsigned = "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\(parts[1])."
                let product = CatalogAPIContract.validProduct(sku: "GW-1", categoryId: "0190b2f0-0000-7000-8000-000000000000")

                let postsBefore = try await Self.answered(by: catalog.port, method: "POST")
                for token in [tampered, unsigned, "Bearer not-a-token", nil] {
                    let response = try await IdentityAPIContract.post(client, "/v1/products", product, authorization: token)
                    #expect(response.status == .unauthorized, "\(token ?? "no token")")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
                #expect(try await Self.answered(by: catalog.port, method: "POST") == postsBefore, "the catalog saw none of them")

                let read = try await IdentityAPIContract.get(client, "/v1/products?limit=1", authorization: tampered)
                #expect(read.status == .ok, "an open route works with a stale token, which is not passed on")

                let customer = try await IdentityAPIContract.post(client, "/v1/products", product, authorization: valid)
                #expect(customer.status == .forbidden, "a customer may not create products: \(String(buffer: customer.body))")
                #expect((customer.json["detail"] as? String)?.contains("catalog.write") == true)
                #expect(try await Self.answered(by: catalog.port, method: "POST") == postsBefore, "the gateway answered the 403 itself")
                let validRead = try await IdentityAPIContract.get(client, "/v1/products?limit=1", authorization: valid)
                #expect(validRead.status == .ok, "a valid token is passed on")
            }
        }
    }

    @Test("over the rate limit of an address: 429 with Retry-After and RateLimit headers, nothing passed on; a signed-in user has a bucket of their own")
    func rateLimits() async throws {
        try await Self.withAuthAndCatalog { auth, catalog in
            let limits = ["gateway.rateLimit.perAddress": "4", "gateway.rateLimit.perUser": "3"]
            try await Self.withGateway(catalogPorts: [catalog.port], authPort: auth.port, extra: limits) { client, _ in
                // Two of the address's four: register and log in.
                try await IdentityAPIContract.register(client, "limited@example.com")
                let token = try await IdentityAPIContract.login(client, "limited@example.com").authorization
                for remaining in [1, 0] {
                    let response = try await IdentityAPIContract.get(client, "/v1/products?limit=1")
                    #expect(response.status == .ok)
                    #expect(response.headers[.init("RateLimit-Limit")!] == "4")
                    #expect(response.headers[.init("RateLimit-Remaining")!] == "\(remaining)")
                    #expect(response.headers[.init("RateLimit-Reset")!].flatMap { Int($0) }.map { $0 > 0 } == true)
                }
                let readsBefore = try await Self.answered(by: catalog.port, method: "GET")
                let refused = try await IdentityAPIContract.get(client, "/v1/products?limit=1")
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.contentType] == "application/problem+json")
                #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 } == true)
                #expect(refused.headers[.init("RateLimit-Remaining")!] == "0")
                #expect(try await Self.answered(by: catalog.port, method: "GET") == readsBefore, "nothing passed on")
                #expect(try await Self.metric(#"emporium_gateway_rate_limited_total{limit="address"}"#, client) == 1)
                #expect(try await Self.metric(#"emporium_gateway_rate_limited_total{limit="user"}"#, client) == 0)
                #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok, "the process's own routes are not limited")

                // The user's own bucket of three.
                let statuses = try await (0..<4).asyncMap { _ in try await IdentityAPIContract.get(client, "/v1/products?limit=1", authorization: token).status }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
                #expect(try await Self.metric(#"emporium_gateway_rate_limited_total{limit="user"}"#, client) == 1)
                #expect(try await Self.metric(#"emporium_gateway_rate_limited_total{limit="address"}"#, client) == 1)
            }
        }
    }

    @Test("a proxied request is counted under the route template of its operation (/v1/products/{id}); a path no document has, unmatched")
    func proxiedRequestsByRoute() async throws {
        let (database, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let catalog = try await Instance(database: database, port: try await TestPlatform.unusedPort(), seed: true)
        try await Self.withGateway(catalogPorts: [catalog.port]) { client, _ in
            let list = try await client.execute(uri: "/v1/products?limit=1", method: .get)
            let id = try #require((list.json["items"] as? [[String: Any]])?.first?["id"] as? String)
            for _ in 0..<2 {
                #expect(try await client.execute(uri: "/v1/products/\(id)", method: .get).status == .ok)
            }
            #expect(try await client.execute(uri: "/v1/products/\(id)/no/such/thing", method: .get).status == .notFound)
            #expect(try await Self.metric(#"http_requests_total{route="/v1/products/{id}",method="GET",status="200"}"#, client) == 2)
            #expect(try await Self.metric(#"http_requests_total{route="/v1/products",method="GET",status="200"}"#, client) == 1)
            #expect(try await Self.metric(#"http_requests_total{route="unmatched",method="GET",status="404"}"#, client) == 1)
            #expect(try await Self.metric(#"http_request_duration_seconds_count{route="/v1/products/{id}",method="GET",status="200"}"#, client) == 2)
        }
        await catalog.stop()
    }

    @Test("a POST without an Idempotency-Key is not retried: an instance that is down is a 502 naming the service, with one attempt")
    func postNotRetried() async throws {
        let down = try await TestPlatform.unusedPort()
        try await Self.withGateway(catalogPorts: [down]) { client, _ in
            // A guest may add to a cart without a token; every other service is at a port where nothing listens.
            let response = try await client.execute(
                uri: "/v1/cart/items", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"sku": "SKU-1", "quantity": 1}"#))
            #expect(response.status == .badGateway)
            #expect((response.json["detail"] as? String)?.contains("cart") == true)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"emporium_gateway_upstream_requests_total{service="cart",outcome="failed"} 1"#), "one attempt")
            #expect(!metrics.contains(#"outcome="retried",service="cart""#))
        }
    }

    @Test("behind trusted proxies, login throttling locks the client that failed, not every client of the gateway")
    func loginThrottlingKeysOnTheRealClient() async throws {
        let trusted = ["http.trustedProxies": "127.0.0.1"]
        try await Self.withAuthAndCatalog(authSettings: trusted) { auth, catalog in
            try await Self.withGateway(catalogPorts: [catalog.port], authPort: auth.port, extra: trusted, live: true) { client, _ in
                try await IdentityAPIContract.register(client, "throttled@example.com")
                // As a load balancer in front of the gateway would say: two clients.
                func login(from address: String, password: String) async throws -> HTTPResponse.Status {
                    try await client.execute(
                        uri: "/v1/auth/login", method: .post,
                        headers: [.contentType: "application/json", .init("X-Forwarded-For")!: address],
                        body: ByteBuffer(string: #"{"email": "throttled@example.com", "password": "\#(password)"}"#)
                    ).status
                }
                for _ in 0..<5 {
                    #expect(try await login(from: "198.51.100.1", password: "wrong password, long enough") == .unauthorized)
                }
                #expect(try await login(from: "198.51.100.1", password: IdentityAPIContract.password) == .tooManyRequests, "the failing client is locked")
                #expect(try await login(from: "198.51.100.2", password: IdentityAPIContract.password) == .ok, "another client is not")
            }
        }
    }

    @Test("CORS from the config: a preflight of an allowed origin is answered at the gateway, another origin's is a 403; answers and errors carry the origin")
    func cors() async throws {
        let settings = ["gateway.cors.allowedOrigins": "https://shop.example.com"]
        try await TestPlatform.withClient(.sqlite, extra: settings) { client, _ in
            let preflight = try await client.execute(
                uri: "/v1/checkout", method: .options,
                headers: [.origin: "https://shop.example.com", .accessControlRequestMethod: "POST",
                          .accessControlRequestHeaders: "authorization, content-type, idempotency-key"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://shop.example.com")
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Idempotency-Key") == true)
            #expect(preflight.headers[.accessControlMaxAge] == "600")

            let foreign = try await client.execute(
                uri: "/v1/checkout", method: .options, headers: [.origin: "https://evil.example", .accessControlRequestMethod: "POST"])
            #expect(foreign.status == .forbidden)
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)

            let read = try await client.execute(uri: "/v1/products?limit=1", method: .get, headers: [.origin: "https://shop.example.com"])
            #expect(read.status == .ok)
            #expect(read.headers[.accessControlAllowOrigin] == "https://shop.example.com")
            #expect(read.headers[.accessControlExposeHeaders]?.contains("RateLimit-Remaining") == true)
            #expect(read.headers[values: .vary].contains { $0.contains("Origin") })

            let refused = try await client.execute(uri: "/v1/orders", method: .get, headers: [.origin: "https://shop.example.com"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.accessControlAllowOrigin] == "https://shop.example.com", "a page can read why it was refused")

            let other = try await client.execute(uri: "/v1/products?limit=1", method: .get, headers: [.origin: "https://evil.example"])
            #expect(other.status == .ok)
            #expect(other.headers[.accessControlAllowOrigin] == nil, "the browser keeps it from the page")
        }
    }

    @Test("a gateway process keeps no data: no database, no migrations, no database readiness check")
    func keepsNoData() async throws {
        let settings = ["services.catalog.url": "http://127.0.0.1:\(try await TestPlatform.unusedPort())"]
        try await TestPlatform.withClient(.sqlite, table: Self.gatewayOnly, extra: settings) { client, platform in
            #expect(platform.databases.isEmpty)
            let ready = String(buffer: try await client.execute(uri: "/health/ready", method: .get).body)
            #expect(!ready.contains("gateway.database"), "\(ready)")
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(!metrics.contains("emporium_db_pool_connections{"), "no pool to watch")
            #expect(!metrics.contains(#"emporium_readiness_check_up{check="gateway.database"}"#))
        }
    }

    /// The auth instance's request counters of `/v1/auth/register`, one line per status.
    static func registrations(at port: Int) async throws -> [Substring] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        return text.split(separator: "\n").filter { $0.hasPrefix("http_requests_total{") && $0.contains("/v1/auth/register") }
    }

    @Test("a body over the limit is a 413: announced, before it is read and without reaching the upstream; streamed, once past the limit")
    func bodyLimit() async throws {
        try await Self.withAuthAndCatalog { auth, catalog in
            let limit = ["gateway.maxBodyBytes": "1024"]
            try await Self.withGateway(catalogPorts: [catalog.port], authPort: auth.port, extra: limit, live: true) { client, _ in
                let port = try #require(client.port)
                // Ten megabytes announced, a hundred bytes sent: the answer comes without the rest.
                let announced = try await RawConnection.connect(port: port)
                let head = "POST /v1/auth/register HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n"
                let status = try await announced.exchange(head + String(repeating: " ", count: 100), within: .seconds(20))
                #expect(status?.hasPrefix("HTTP/1.1 413 ") == true, "\(announced.text.prefix(300))")
                #expect(announced.text.contains("application/problem+json"))
                await announced.close()
                #expect(try await Self.registrations(at: auth.port).isEmpty, "the auth service saw nothing of it")

                // Chunked, with no length: cut off once it passes the limit.
                let streamed = try await RawConnection.connect(port: port)
                let chunk = String(repeating: "x", count: 800)
                let chunked = "POST /v1/auth/register HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "320\r\n\(chunk)\r\n320\r\n\(chunk)\r\n0\r\n\r\n"
                let streamedStatus = try await streamed.exchange(chunked, within: .seconds(20))
                #expect(streamedStatus?.hasPrefix("HTTP/1.1 413 ") == true, "\(streamed.text.prefix(300))")
                await streamed.close()
            }
            let registers = try await Self.registrations(at: auth.port)
            #expect(registers.allSatisfy { !$0.contains(#"status="201""#) }, "nothing was registered: \(registers)")
        }
    }

    @Test("an instance that answers before it reads a streamed body: the answer is passed on, the rest of the body is read, and the connection serves its next request")
    func earlyAnswerToAStreamedBody() async throws {
        try await Self.withAuthAndCatalog { auth, catalog in
            try await Self.withGateway(catalogPorts: [catalog.port], authPort: auth.port, live: true) { client, _ in
                let port = try #require(client.port)
                // The auth service refuses text/plain from the head alone (415), while most of the
                // body (over what the gateway keeps to replay) is still to come.
                let length = 300_000
                let connection = try await RawConnection.connect(port: port)
                let head = "POST /v1/auth/register HTTP/1.1\r\nHost: shop\r\nContent-Type: text/plain\r\nContent-Length: \(length)\r\n\r\n"
                let status = try await connection.exchange(head + String(repeating: "x", count: 1000), within: .seconds(20))
                #expect(status?.hasPrefix("HTTP/1.1 415 ") == true, "\(connection.text.prefix(300))")
                for _ in 0..<(length - 1000) / 10_000 {
                    try await connection.send(String(repeating: "y", count: 10_000))
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await connection.send(String(repeating: "z", count: (length - 1000) % 10_000))
                #expect(try await connection.get("/v1/products?limit=1")?.hasPrefix("HTTP/1.1 200 ") == true, "\(connection.text.suffix(300))")
                await connection.close()
                let other = try await client.execute(uri: "/v1/products?limit=1", method: .get)
                #expect(other.status == .ok, "the gateway still serves")
            }
        }
    }
}
