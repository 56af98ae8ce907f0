import AsyncHTTPClient
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Security
import ServiceLifecycle
import Storage
import Testing

// MARK: test services: a callee with a contract, and a caller

/// The contract of the test callee.
protocol EchoAPI: Sendable {
    func echo(_ text: String) async throws -> EchoAnswer
}

/// What the callee saw of the call.
struct EchoAnswer: Codable, Sendable, Equatable {
    var text: String
    /// `local` when the caller got the service itself, else the calling service's name.
    var caller: String
    var requestId: String?
    var traceparent: String?
}

/// The test callee: `echo` in the process, `POST /internal/v1/echo/say` for other processes.
struct EchoService: EmporiumService, EchoAPI {
    let name = "echo"
    let migrations: [Migration] = []
    let openAPI = OpenAPIFragment()

    func echo(_ text: String) async throws -> EchoAnswer {
        EchoAnswer(text: text, caller: "local")
    }

    func addRoutes(to router: ServiceRouter) {
        router.post("/internal/v1/echo/say") { request, context in
            struct Say: Decodable { var text: String }
            let say = try await request.decodeJSON(as: Say.self, context: context)
            if say.text == "slow" { try await Task.sleep(for: .seconds(4)) }
            if say.text == "fail" { throw ProblemDetails.conflict("the echo refuses") }
            let answer = EchoAnswer(
                text: say.text, caller: context.callingService ?? "?", requestId: request.headers[.requestID],
                traceparent: request.headers[HTTPField.Name("traceparent")!])
            return try Response.json(answer, context: context)
        }
    }
}

/// ``EchoAPI`` over HTTP, as a contract's client is written.
struct HTTPEcho: EchoAPI {
    let remote: RemoteService
    init(_ remote: RemoteService) { self.remote = remote }

    func echo(_ text: String) async throws -> EchoAnswer {
        struct Say: Encodable { var text: String }
        return try await remote.call(.POST, "/internal/v1/echo/say", body: Say(text: text), as: EchoAnswer.self)
    }
}

/// The test caller: `GET /v1/probe?text=…` asks the echo.
struct ProbeService: EmporiumService {
    let name = "probe"
    let migrations: [Migration] = []
    let openAPI = OpenAPIFragment()
    let echo: any EchoAPI

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/probe") { request, context in
            let answer = try await echo.echo(request.uri.queryParameters["text"].map(String.init) ?? "hello")
            return try Response.json(answer, context: context)
        }
    }
}

extension ServiceTable {
    /// The standard services plus the echo and the probe that calls it.
    static let withEcho = ServiceTable(modules: ServiceTable.standard.modules + [
        ServiceModule(name: "probe", calls: ["echo"], summary: "test caller") { environment in
            ProbeService(echo: environment.peers.api("echo", as: (any EchoAPI).self, remote: HTTPEcho.init))
        },
        ServiceModule(name: "echo", summary: "test callee") { _ in EchoService() },
    ])
}

// MARK: tests

@Suite("Calls between services")
struct ServiceCallsTests {
    static let secret = ServiceCredential.generateSecret().base64EncodedString()

    /// In one process the caller gets the callee itself, made first whatever the order named.
    @Test func localCalleeIsTheServiceItself() async throws {
        try await TestPlatform.withClient(.sqlite, table: .withEcho, extra: ["services": "probe,echo", "seed.demo": "false"]) { client, platform in
            #expect(platform.services.map(\.name) == ["echo", "probe"])
            let response = try await client.execute(uri: "/v1/probe?text=hi", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["caller"] as? String == "local")
            #expect(response.json["text"] as? String == "hi")
        }
    }

    /// `calls` does not pull the callee into the process; without its URL the start-up stops,
    /// naming the key to set.
    @Test func remoteCalleeNeedsItsURL() async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let settings = try await TestPlatform.settings(database: url, extra: ["services": "probe", "seed.demo": "false"])
        #expect(try ServiceTable.withEcho.resolve("probe").map(\.name) == ["probe"])
        await #expect(throws: ConfigurationError.self) {
            _ = try await EmporiumPlatform.build(settings: settings, table: .withEcho, logger: TestDatabases.logger)
        }
        do {
            _ = try await EmporiumPlatform.build(settings: settings, table: .withEcho, logger: TestDatabases.logger)
        } catch let error as ConfigurationError {
            #expect(error.key == "services.echo.url")
            #expect(error.reason.contains("the probe service calls the echo service"))
        }
    }

    /// Two processes: the probe calls the echo over HTTP with a signed credential, its request
    /// id and a traceparent of the same trace.
    @Test func remoteCallCarriesCredentialRequestIdAndTrace() async throws {
        try await TestPlatform.serving(table: .withEcho, extra: ["services": "echo", "services.secret": Self.secret]) { port in
            try await TestPlatform.withClient(.sqlite, table: .withEcho, extra: [
                "services": "probe", "services.echo.url": "http://127.0.0.1:\(port)", "services.secret": Self.secret, "seed.demo": "false",
            ]) { client, _ in
                let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
                let response = try await client.execute(
                    uri: "/v1/probe?text=over-http", method: .get,
                    headers: [.requestID: "probe-request-1", HTTPField.Name("traceparent")!: "00-\(traceID)-00f067aa0ba902b7-01"])
                #expect(response.status == .ok)
                #expect(response.json["text"] as? String == "over-http")
                #expect(response.json["caller"] as? String == "probe")
                #expect(response.json["requestId"] as? String == "probe-request-1")
                let traceparent = try #require(response.json["traceparent"] as? String)
                #expect(traceparent.hasPrefix("00-\(traceID)-"))
                #expect(!traceparent.contains("00f067aa0ba902b7"), "the call is a child span, not the caller's span")
            }
        }
    }

    /// A callee that is down, slow, refuses the credential or answers an error it does not
    /// define is a 503 problem naming it, within the call timeout; the caller works again when
    /// the callee does.
    @Test func unavailableCalleeIs503NamingIt() async throws {
        let closedPort = try await TestPlatform.unusedPort()
        try await TestPlatform.serving(table: .withEcho, extra: ["services": "echo", "services.secret": Self.secret]) { port in
            let otherSecret = ServiceCredential.generateSecret().base64EncodedString()
            for (url, secret, text, expected) in [
                ("http://127.0.0.1:\(closedPort)", Self.secret, "hi", "connection refused"),
                ("http://127.0.0.1:\(port)", Self.secret, "slow", "no answer within"),
                ("http://127.0.0.1:\(port)", otherSecret, "hi", "answered 401"),
                ("http://127.0.0.1:\(port)", Self.secret, "fail", "answered 409"),
            ] {
                try await TestPlatform.withClient(.sqlite, table: .withEcho, extra: [
                    "services": "probe", "services.echo.url": url, "services.secret": secret, "seed.demo": "false",
                    "services.callTimeout": "1",
                ]) { client, _ in
                    let started = ContinuousClock.now
                    let response = try await client.execute(uri: "/v1/probe?text=\(text)", method: .get)
                    #expect(response.status == .serviceUnavailable, "\(text) via \(url)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let detail = response.json["detail"] as? String ?? ""
                    #expect(detail.contains("The echo service is unavailable"), "\(detail)")
                    #expect(detail.contains(expected), "\(detail)")
                    #expect(response.json["type"] as? String == "https://emporium.dev/problems/service-unavailable")
                    #expect(ContinuousClock.now - started < .seconds(3), "answered within the call timeout")
                    if text == "slow" || secret != Self.secret { return }
                    // The same process answers again once the callee answers.
                    let again = try await client.execute(uri: "/v1/probe?text=fine", method: .get)
                    #expect(again.status == (url.hasSuffix("\(port)") ? .ok : .serviceUnavailable))
                }
            }
        }
    }

    /// Every `/internal/` route of the platform refuses a call without a valid service
    /// credential before its handler runs: none (a 404: the gateway of the process does not let
    /// a request without one near an internal route), malformed, from another secret, too old,
    /// or signed for another body, path or method (401).
    @Test func everyInternalRouteRefusesCallsWithoutTheCredential() async throws {
        try await TestPlatform.withClient(.sqlite, table: .withEcho, extra: ["services.secret": Self.secret, "seed.demo": "false"]) { client, platform in
            let routes = platform.routes.internalRoutes
            #expect(routes.contains { $0.path == "/internal/v1/catalog/variants/lookup" })
            #expect(routes.contains { $0.path == "/internal/v1/echo/say" })
            let credential = try ServiceCredential(secret: Data(base64Encoded: Self.secret)!)
            let stranger = try ServiceCredential(secret: ServiceCredential.generateSecret())
            let body = #"{"text":"x","skus":["A-1"],"lines":[{"sku":"A-1","quantity":1}]}"#
            for route in routes {
                let path = route.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: UUID.v7().lowercased, options: .regularExpression)
                let method = HTTPRequest.Method(route.method)!
                let sign = { (credential: ServiceCredential, method: String, path: String, body: String, at: Date) in
                    credential.sign(caller: "probe", method: method, target: path, body: Data(body.utf8), at: at)
                }
                let refused: [(String, String?)] = [
                    ("no credential", nil),
                    ("malformed", "Bearer something"),
                    ("another secret", sign(stranger, route.method, path, body, .now)),
                    ("too old", sign(credential, route.method, path, body, .now.addingTimeInterval(-120))),
                    ("another body", sign(credential, route.method, path, body + " ", .now)),
                    ("another path", sign(credential, route.method, path + "x", body, .now)),
                    ("another method", sign(credential, route.method == "GET" ? "POST" : "GET", path, body, .now)),
                ]
                for (what, header) in refused {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let header { headers[.serviceCredential] = header }
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
                    if header == nil {
                        #expect(response.status == .notFound, "\(route) with \(what)")
                        #expect(response.json["type"] as? String == "https://emporium.dev/problems/not-found", "\(route) with \(what)")
                    } else {
                        #expect(response.status == .unauthorized, "\(route) with \(what)")
                        #expect(response.json["type"] as? String == "https://emporium.dev/problems/service-credential", "\(route) with \(what)")
                    }
                }
                // The same call, properly signed, reaches the handler.
                let headers: HTTPFields = [.contentType: "application/json", .serviceCredential: sign(credential, route.method, path, body, .now)]
                let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
                #expect(response.status != .unauthorized, "\(route) signed")
            }
        }
    }

    /// The catalog's pricing contract over HTTP answers what its public API shows: the SKUs that
    /// exist, priced now, with their product; unknown SKUs are left out; a bad list is a 400.
    @Test func catalogPricesOverHTTP() async throws {
        try await TestPlatform.serving(extra: ["services": "catalog", "services.secret": Self.secret, "seed.demo": "true"]) { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/products?limit=3"), timeout: .seconds(10))
            struct Page: Decodable {
                struct Product: Decodable {
                    struct Variant: Decodable { var sku: String; var attributes: [String: String]; var price: Money }
                    var id: String
                    var name: String
                    var variants: [Variant]
                }
                var items: [Product]
            }
            let page = try JSONDecoder().decode(Page.self, from: Data(buffer: try await response.body.collect(upTo: 1 << 20)))
            #expect(page.items.count == 3)
            let remote = RemoteService(
                name: "catalog", baseURL: "http://127.0.0.1:\(port)", caller: "cart",
                credential: try ServiceCredential(secret: Data(base64Encoded: Self.secret)!), timeout: .seconds(5), client: client,
                logger: TestDatabases.logger)
            let pricing = HTTPCatalogPricing(remote)
            var expected: [String: SellableVariant] = [:]
            for product in page.items {
                for variant in product.variants {
                    expected[variant.sku] = SellableVariant(
                        sku: variant.sku, productId: product.id, productName: product.name, attributes: variant.attributes,
                        price: variant.price, status: "active")
                }
            }
            let found = try await pricing.variants(skus: Array(expected.keys) + ["NO-SUCH-SKU"])
            #expect(found == expected)
            await #expect(throws: ServiceUnavailableError.self) { _ = try await pricing.variants(skus: ["lower-case"]) }
        }
    }

    /// The cart's contract over HTTP (what orders in another process call): a user's lines, and
    /// taking an order's off, through the signed internal routes.
    @Test func cartLinesOverHTTP() async throws {
        try await TestPlatform.serving(extra: ["services": "catalog,inventory,cart", "services.secret": Self.secret]) { port in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            let remote = RemoteService(
                name: "cart", baseURL: "http://127.0.0.1:\(port)", caller: "orders",
                credential: try ServiceCredential(secret: Data(base64Encoded: Self.secret)!), timeout: .seconds(5), client: client,
                logger: TestDatabases.logger)
            let cart = HTTPCartAPI(remote)
            let user = UUID.v7().lowercased
            #expect(try await cart.lines(ofUser: user) == [])
            #expect(try await cart.remove([CartLine(sku: "MUG-1", quantity: 1)], fromCartOf: user) == [], "nothing to take off an empty cart")
            await #expect(throws: ServiceUnavailableError.self, "a path that is not a user id is refused by the callee") {
                _ = try await cart.lines(ofUser: "not-a-user")
            }
        }
    }

    /// A callee in the same selection is made before its caller; a cycle of calls among the
    /// selected services is refused; `calls` never adds a service to the selection.
    @Test func tableOrdersCallersAfterLocalCallees() throws {
        let make: @Sendable (ServiceEnvironment) async throws -> any EmporiumService = { _ in EchoService() }
        let table = ServiceTable(modules: [
            ServiceModule(name: "a", calls: ["b"], summary: "", make: make),
            ServiceModule(name: "b", calls: ["c"], summary: "", make: make),
            ServiceModule(name: "c", calls: ["a"], summary: "", make: make),
        ])
        #expect(try table.resolve("a").map(\.name) == ["a"])
        #expect(try table.resolve("a,b").map(\.name) == ["b", "a"])
        #expect(throws: ServiceSelectionError.cycle(["a", "b", "c", "a"])) { try table.resolve("a,b,c") }
    }
}
