@testable import Gateway
import EmporiumKit
import Foundation
import HTTPTypes
import Security
import Testing

@Suite("Gateway routing table")
struct GatewayRoutesTests {
    @Test("the longest prefix wins, on segment boundaries only")
    func longestPrefix() throws {
        let routes = try GatewayRoutes([
            .init(prefix: "/v1/orders", service: "orders"),
            .init(prefix: "/v1/orders/export", service: "reports"),
            .init(prefix: "/v1/payments", service: "payments"),
        ])
        #expect(routes.service(for: "/v1/orders") == "orders")
        #expect(routes.service(for: "/v1/orders/42/events") == "orders")
        #expect(routes.service(for: "/v1/orders/export/2026") == "reports")
        #expect(routes.service(for: "/v1/ordersx") == nil)
        #expect(routes.service(for: "/v1/payment-methods") == nil)
        #expect(routes.service(for: "/") == nil)
    }

    @Test("every public path of the API map has a service", arguments: [
        ("/v1/auth/login", "auth"), ("/.well-known/jwks.json", "auth"), ("/v1/users/me", "users"), ("/v1/audit", "users"),
        ("/v1/products/0190b2f0-0000-7000-8000-000000000000", "catalog"), ("/v1/categories", "catalog"), ("/v1/cart/items/SKU-1", "cart"),
        ("/v1/inventory/SKU-1", "inventory"), ("/v1/checkout", "orders"), ("/v1/orders/1/ship", "orders"),
        ("/v1/payment-methods", "payments"), ("/v1/payments/1/refunds", "payments"), ("/v1/notifications/preferences", "notifications"),
        ("/v1/webhooks", "notifications"), ("/v1/recommendations/me", "recommendations"),
        ("/", "storefront"), ("/search", "storefront"), ("/products/0190b2f0-0000-7000-8000-000000000000", "storefront"),
        ("/cart/items/SKU-1", "storefront"), ("/signin", "storefront"), ("/checkout", "storefront"), ("/orders/1", "storefront"),
        ("/notifications", "storefront"), ("/assets/storefront.css", "storefront"), ("/admin/orders", "storefront"),
    ])
    func standardTable(path: String, service: String) {
        #expect(GatewayRoutes.standard.service(for: path) == service)
    }

    @Test("the storefront's home page is routed exactly: the platform's own paths and unknown ones are not the storefront's", arguments: [
        "/health/live", "/health/ready", "/metrics", "/openapi.json", "/unknown", "/v2/products", "/searchx",
    ])
    func storefrontLeavesOtherPaths(path: String) {
        #expect(GatewayRoutes.standard.service(for: path) == nil, "\(path)")
    }

    @Test("internal paths are never routed, however they are spelled", arguments: [
        "/internal/v1/cart/users/1", "/internal", "//internal/v1/x", "/INTERNAL/v1/x", "/%69nternal/v1/x",
        "/v1/../internal/v1/x", "/./internal/x", "/v1/%2E%2E/internal/x", "/%2Finternal/x",
    ])
    func internalPaths(path: String) throws {
        let routes = try GatewayRoutes([.init(prefix: "/", service: "everything")])
        #expect(routes.service(for: path) == nil, "\(path)")
        #expect(GatewayRoutes.isInternal(path))
    }

    @Test("the quick check of a path that needs no normalizing agrees with the full one on every path")
    func quickInternalCheckAgrees() {
        let parts = ["internal", "INTERNAL", "Internal", "internals", "intern", "v1", "", ".", "..", "%69nternal", "x", "internal.", "ïnternal"]
        var checked = 0
        for a in parts {
            for b in parts {
                for path in ["/\(a)/\(b)", "/\(a)", "\(a)/\(b)", "/\(a)//\(b)"] {
                    let full = GatewayRoutes.normalizedSegments(path).first?.lowercased() == "internal"
                    #expect(GatewayRoutes.isInternal(path) == full, "\(path)")
                    checked += 1
                }
            }
        }
        #expect(checked == parts.count * parts.count * 4)
    }

    @Test("a table with an internal, malformed or repeated prefix is refused")
    func refusedTables() {
        #expect(throws: GatewayRouteError.invalidPrefix("/internal/v1", reason: "paths under /internal/ are never routed")) {
            try GatewayRoutes([.init(prefix: "/internal/v1", service: "x")])
        }
        #expect(throws: GatewayRouteError.self) { try GatewayRoutes([.init(prefix: "v1/x", service: "x")]) }
        #expect(throws: GatewayRouteError.self) { try GatewayRoutes([.init(prefix: "/v1/x/", service: "x")]) }
        #expect(throws: GatewayRouteError.duplicatePrefix("/v1/x")) {
            try GatewayRoutes([.init(prefix: "/v1/x", service: "x"), .init(prefix: "/v1/x", service: "y")])
        }
    }
}

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let start = ContinuousClock.now
    let policy = CircuitBreaker.Policy(failureThreshold: 3, openDuration: .seconds(10), halfOpenProbes: 1)

    @Test("failures in a row open it; a success in between resets the count")
    func opens() {
        var breaker = CircuitBreaker(policy: policy)
        for outcome in [false, false, true, false, false] {
            let allowed = breaker.allowRequest(at: start)
            #expect(allowed)
            breaker.record(success: outcome, at: start)
        }
        #expect(breaker.state(at: start) == .closed, "two failures since the last success")
        let third = breaker.allowRequest(at: start)
        #expect(third)
        breaker.record(success: false, at: start)
        #expect(breaker.state(at: start) == .open)
        let whileOpen = breaker.allowRequest(at: start + .seconds(9))
        #expect(!whileOpen)
    }

    @Test("after the open time one probe goes through: its success closes, its failure reopens")
    func halfOpen() {
        var breaker = CircuitBreaker(policy: policy)
        for _ in 0..<3 {
            _ = breaker.allowRequest(at: start)
            breaker.record(success: false, at: start)
        }
        let later = start + .seconds(10)
        #expect(breaker.state(at: later) == .halfOpen)
        let probe = breaker.allowRequest(at: later)
        let secondProbe = breaker.allowRequest(at: later)
        #expect(probe)
        #expect(!secondProbe, "one probe at a time")
        breaker.record(success: false, at: later)
        #expect(breaker.state(at: later + .seconds(5)) == .open, "open again for a full open time")
        let evenLater = later + .seconds(10)
        let nextProbe = breaker.allowRequest(at: evenLater)
        #expect(nextProbe)
        breaker.record(success: true, at: evenLater)
        #expect(breaker.state(at: evenLater) == .closed)
        let afterClosing = [breaker.allowRequest(at: evenLater), breaker.allowRequest(at: evenLater)]
        #expect(afterClosing == [true, true])
    }

    @Test("a late success of a request sent before it opened does not close it")
    func lateSuccess() {
        var breaker = CircuitBreaker(policy: policy)
        for _ in 0..<3 {
            _ = breaker.allowRequest(at: start)
            breaker.record(success: false, at: start)
        }
        breaker.record(success: true, at: start + .seconds(1))
        #expect(breaker.state(at: start + .seconds(1)) == .open)
    }
}

@Suite("Retries")
struct RetryTests {
    @Test("only requests without a second effect are retried")
    func retryRules() {
        let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "k-1"]
        for method in [HTTPRequest.Method.get, .head, .options, .put, .delete] {
            #expect(RetryRules.mayRetry(method: method, headers: [:]), "\(method)")
        }
        #expect(!RetryRules.mayRetry(method: .post, headers: [:]))
        #expect(RetryRules.mayRetry(method: .post, headers: key))
        #expect(!RetryRules.mayRetry(method: .post, headers: [HTTPField.Name("Idempotency-Key")!: ""]))
        #expect(!RetryRules.mayRetry(method: .patch, headers: [:]))
    }

    @Test("the budget allows the starting allowance, then one retry per five requests")
    func budget() {
        var budget = RetryBudget(ratio: 0.2, minimumTokens: 2, maximumTokens: 100)
        let allowance = [budget.withdrawRetry(), budget.withdrawRetry(), budget.withdrawRetry()]
        #expect(allowance == [true, true, false])
        for _ in 0..<4 { budget.recordRequest() }
        let afterFour = budget.withdrawRetry()
        #expect(!afterFour, "four requests earn 0.8 of a retry")
        budget.recordRequest()
        let afterFive = budget.withdrawRetry()
        #expect(afterFive)
        for _ in 0..<10_000 { budget.recordRequest() }
        #expect(budget.available == 100, "capped")
    }
}

@Suite("Upstream instances")
struct UpstreamInstancesTests {
    let now = ContinuousClock.now

    @Test("round robin over the instances in rotation")
    func roundRobin() {
        var upstream = UpstreamInstances(service: "catalog", urls: ["http://a", "http://b", "http://c"])
        let first = (0..<6).map { _ in upstream.pick(at: now) }
        #expect(first == [0, 1, 2, 0, 1, 2])
        upstream.recordHealthCheck(1, healthy: false)
        let withoutB = (0..<4).map { _ in upstream.pick(at: now) }
        #expect(withoutB == [0, 2, 0, 2])
        upstream.recordHealthCheck(1, healthy: true)
        let again = Set((0..<3).compactMap { _ in upstream.pick(at: now) })
        #expect(again == [0, 1, 2], "back in rotation")
    }

    @Test("failed requests in a row open an instance's breaker; a retry skips the instances already tried")
    func passiveEjection() {
        var upstream = UpstreamInstances(service: "catalog", urls: ["http://a", "http://b"], policy: .init(breaker: .init(failureThreshold: 2)))
        upstream.record(0, success: false, at: now)
        #expect(upstream.instances[0].breaker.state(at: now) == .closed)
        upstream.record(0, success: false, at: now)
        #expect(upstream.instances[0].breaker.state(at: now) == .open)
        let picks = (0..<3).map { _ in upstream.pick(at: now) }
        #expect(picks == [1, 1, 1])
        upstream.recordHealthCheck(1, healthy: false)
        let retry = upstream.pick(excluding: [], at: now)
        #expect(retry == 1, "out of rotation, it is still tried when no other instance may be")
        let none = upstream.pick(excluding: [1], at: now)
        #expect(none == nil, "an open breaker lets nothing through")
    }

    @Test("an instance whose breaker is open gets nothing until its open time is over")
    func breakerGates() {
        var upstream = UpstreamInstances(
            service: "cart", urls: ["http://a"],
            policy: .init(breaker: .init(failureThreshold: 1, openDuration: .seconds(5))))
        let first = upstream.pick(at: now)
        #expect(first == 0)
        upstream.record(0, success: false, at: now)
        let whileOpen = upstream.pick(at: now + .seconds(1))
        #expect(whileOpen == nil)
        let probe = upstream.pick(at: now + .seconds(5))
        #expect(probe == 0, "a half-open probe")
    }
}

@Suite("Access requirements from the services' OpenAPI documents")
struct AccessRequirementsTests {
    let requirements = AccessRequirements([
        OpenAPIFragment(json: #"""
        {"paths": {
          "/v1/users/me": {"get": {"security": [{"bearer": []}]}},
          "/v1/users/{id}": {"get": {"security": [{"bearer": ["users.read"]}]}, "delete": {}},
          "/v1/cart/items": {"post": {"security": [{}, {"bearer": []}]}},
          "/v1/products": {"get": {}, "post": {"security": [{"bearer": ["catalog.write"]}]}},
          "/v1/orders": {"get": {"security": [{"bearer": ["account.own"]}, {"bearer": ["orders.read"]}]}},
          "/v1/audit": {"get": {"security": [{"bearer": ["audit.read", "users.read"]}]}},
          "/v1/typo": {"get": {"security": [{"bearer": ["catalog.wirte"]}]}}
        }}
        """#)
    ])

    static func principal(_ roles: Set<Role>) -> Principal {
        Principal(subject: "u", roles: roles, tokenID: "t", expiresAt: .distantFuture)
    }

    @Test("bearer security needs a token; optional or no security does not; an unknown operation does not")
    func tokenRequirements() {
        #expect(requirements.requiresToken(method: "GET", path: "/v1/users/me"))
        #expect(requirements.requiresToken(method: "GET", path: "/v1/users/0190b2f0-0000-7000-8000-000000000000"))
        #expect(!requirements.requiresToken(method: "DELETE", path: "/v1/users/42"))
        #expect(!requirements.requiresToken(method: "POST", path: "/v1/cart/items"), "a guest may")
        #expect(!requirements.requiresToken(method: "GET", path: "/v1/products"))
        #expect(requirements.requiresToken(method: "POST", path: "/v1/products"))
        #expect(!requirements.requiresToken(method: "GET", path: "/v1/unknown"))
        #expect(!requirements.requiresToken(method: "GET", path: "/v1/users/me/extra"))
    }

    @Test("the bearer requirement's list names the permissions; requirements are alternatives; a list needs all it names")
    func permissionRequirements() {
        let customer = Self.principal([.customer]), support = Self.principal([.support])
        let manager = Self.principal([.catalogManager]), admin = Self.principal([.admin])
        let me = requirements.requirement(method: "GET", path: "/v1/users/me")
        #expect(me.allows(customer) && me.allows(support), "any valid token")
        let create = requirements.requirement(method: "POST", path: "/v1/products")
        #expect(!create.allows(customer) && !create.allows(support))
        #expect(create.allows(manager) && create.allows(admin))
        let user = requirements.requirement(method: "GET", path: "/v1/users/42")
        #expect(user.allows(support) && !user.allows(customer) && !user.allows(manager))
        let orders = requirements.requirement(method: "GET", path: "/v1/orders")
        #expect(orders.allows(customer) && orders.allows(support))
        let audit = requirements.requirement(method: "GET", path: "/v1/audit")
        #expect(!audit.allows(support), "support reads users but not the audit log")
        #expect(audit.allows(admin))
    }

    @Test("a permission no role knows is reported and allows no one")
    func unknownPermissions() {
        #expect(requirements.unknownPermissions == ["catalog.wirte"])
        let typo = requirements.requirement(method: "GET", path: "/v1/typo")
        #expect(typo.needsToken)
        #expect(!typo.allows(Self.principal([.admin])))
    }
}

@Suite("CORS policy")
struct CORSPolicyTests {
    @Test("origins are scheme://host[:port] without a path, or *")
    func parsing() throws {
        let parsed = try CORSPolicy.parseOrigins(" https://Shop.example.com, http://localhost:3000 ").get()
        #expect(parsed.origins == ["https://shop.example.com", "http://localhost:3000"])
        #expect(!parsed.any)
        #expect(try CORSPolicy.parseOrigins("*").get().any)
        for bad in ["shop.example.com", "https://shop.example.com/", "https://shop.example.com/app", "ftp://x", "https://", "https://a:b", "https://user@shop"] {
            guard case .failure(let error) = CORSPolicy.parseOrigins("https://ok.example, \(bad)") else {
                Issue.record("\(bad) was accepted")
                continue
            }
            #expect(error.entry == bad)
        }
    }

    @Test("an allowed origin is echoed; with * every origin gets *; others are not allowed")
    func headers() {
        let policy = CORSPolicy(allowedOrigins: ["https://shop.example.com"], allowsAnyOrigin: false, maxAgeSeconds: 60)
        #expect(policy.allows(origin: "https://SHOP.example.com"))
        #expect(!policy.allows(origin: "https://evil.example"))
        #expect(policy.answerHeaders(origin: "https://shop.example.com")[.accessControlAllowOrigin] == "https://shop.example.com")
        let preflight = policy.preflightHeaders(origin: "https://shop.example.com")
        #expect(preflight[.accessControlMaxAge] == "60")
        #expect(preflight[.accessControlAllowHeaders]?.contains("Idempotency-Key") == true)
        #expect(preflight[.accessControlAllowCredentials] == nil)
        let any = CORSPolicy(allowedOrigins: [], allowsAnyOrigin: true, maxAgeSeconds: 60)
        #expect(any.allows(origin: "https://anyone.example"))
        #expect(any.answerHeaders(origin: "https://anyone.example")[.accessControlAllowOrigin] == "*")
        #expect(!CORSPolicy.off.isOn)
    }
}
