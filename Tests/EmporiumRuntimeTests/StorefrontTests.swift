import EmporiumKit
import EmporiumRuntime
import NIOHTTP1
import Storage
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The storefront driven as a browser without JavaScript drives it (plain GETs and form posts,
/// cookies, redirects), against a one-process platform on SQLite: its pages call the platform's
/// public API over HTTP, as they do in production.
@Suite struct StorefrontTests {
    static let password = "a long passphrase 42!"
    static let address: [(String, String)] = [
        ("line1", "1 Main St"), ("city", "London"), ("postalCode", "N1 1AA"), ("country", "GB"),
    ]

    /// Every page: 200 (or what `status` says), HTML, the security headers, the accessibility basics.
    static func check(_ page: Browser.Page, status: Int = 200, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            page.status == status, "\(page.path): \(Browser.first(#"class="form-error"[^>]*>([^<]*)"#, in: page.html) ?? String(page.html.prefix(300)))",
            sourceLocation: sourceLocation)
        #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8", "\(page.path)", sourceLocation: sourceLocation)
        let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
        #expect(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), sourceLocation: sourceLocation)
        #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff", sourceLocation: sourceLocation)
        #expect(page.headers.first(name: "X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(page.headers.first(name: "Referrer-Policy") == "same-origin", sourceLocation: sourceLocation)
        #expect(AccessibilityBasics.problems(page.html) == [], "\(page.path)", sourceLocation: sourceLocation)
        #expect(!page.html.contains("<script"), "\(page.path): no script, inline or not", sourceLocation: sourceLocation)
        #expect(!page.html.contains("style="), "\(page.path): no inline style", sourceLocation: sourceLocation)
    }

    /// Runs `body` with a browser on a live platform of `table`.
    static func withShop(
        table: ServiceTable, _ body: @Sendable (Browser, any TestClientProtocol, EmporiumPlatform) async throws -> Void
    ) async throws {
        try await TestPlatform.withClient(.sqlite, table: table, live: true) { client, platform in
            let base = try #require(platform.address.baseURL, "the platform is bound")
            let browser = Browser(base: base)
            do {
                try await body(browser, client, platform)
                try await browser.shutdown()
            } catch {
                try? await browser.shutdown()
                throw error
            }
        }
    }

    /// The product ids a page links to, each once, in order.
    static func productIDs(_ html: String) -> [String] {
        var seen: Set<String> = []
        return Browser.all(#"href="/products/([0-9a-f-]{36})""#, in: html).filter { seen.insert($0).inserted }
    }

    /// Adds the product's chosen variant to the cart; the cart page it lands on.
    static func addToCart(_ browser: Browser, client: any TestClientProtocol, product id: String) async throws -> Browser.Page {
        let page = try await browser.get("/products/\(id)")
        check(page)
        let sku = try #require(Browser.first(#"name="sku" value="([^"]+)" checked"#, in: page.html), "a variant is chosen")
        try await stock(sku, client: client)
        return try await browser.post("/cart/items", [("sku", sku), ("quantity", "1")])
    }

    /// Gives `sku` stock (its stock row comes from the catalog's event: waits for it).
    static func stock(_ sku: String, client: any TestClientProtocol) async throws {
        for _ in 0..<100 {
            let status = try await client.execute(
                uri: "/v1/inventory/\(sku)", method: .put, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"available": 50}"#)
            ) { $0.status }
            if status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no stock row for \(sku)")
    }

    /// A guest browses, searches with a filter, adds two items, signs up (the cart merged), is
    /// refused by a declined card (the reason shown, the cart kept), checks out with a good
    /// card and sees the order confirmed, its history, the notifications; the access token is
    /// refreshed with the refresh token when it has expired; sign-out ends the session.
    @Test func aShopperBuysWithoutJavaScript() async throws {
        try await Self.withShop(table: .standard) { browser, client, _ in
            let home = try await browser.get("/")
            Self.check(home)
            #expect(home.html.contains("Categories"))
            #expect(!Self.productIDs(home.html).isEmpty)
            #expect(browser.cookies.isEmpty, "a guest who only browses gets no cookie")
            let stylesheet = try #require(Browser.first(#"<link rel="stylesheet" href="(/assets/storefront\.[0-9a-f]{10}\.css)">"#, in: home.html))
            let icon = try #require(Browser.first(#"<link rel="icon" href="(/assets/icon\.[0-9a-f]{10}\.svg)""#, in: home.html))
            for asset in [stylesheet, icon, "/assets/placeholder/\(Self.productIDs(home.html)[0]).svg"] {
                let file = try await browser.get(asset)
                #expect(file.status == 200)
                #expect(file.headers.first(name: "Content-Security-Policy") != nil)
                #expect(file.headers.first(name: "Cache-Control")?.hasPrefix("public, max-age=") == true, "\(asset)")
            }
            #expect(try await browser.get("/assets/storefront.0000000000.css").status == 404, "an old or made-up name")
            #expect(home.headers.first(name: "Cache-Control")?.hasPrefix("public, max-age=") == true, "a guest's page is every guest's")

            let search = try await browser.get("/search?q=lamp")
            Self.check(search)
            let filter = try #require(Browser.first(#"href="(/search\?[^"]*attr\.[^"]*)""#, in: search.html), "an attribute facet")
            let filtered = try await browser.get(filter.replacingOccurrences(of: "&amp;", with: "&"))
            Self.check(filtered)
            #expect(filtered.html.contains("remove"))
            var products = Self.productIDs(filtered.html)
            if products.count < 2 { products += Self.productIDs(search.html).filter { !products.contains($0) } }
            #expect(products.count >= 2)

            _ = try await Self.addToCart(browser, client: client, product: products[0])
            let guestCart = try await Self.addToCart(browser, client: client, product: products[1])
            Self.check(guestCart)
            #expect(guestCart.path == "/cart")
            #expect(Browser.all(#"(class="line")"#, in: guestCart.html).count == 2)
            #expect(browser.cookies["sf_cart"] != nil)

            Self.check(try await browser.get("/signup"))
            let email = "shopper-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            let merged = try await browser.post("/signup", [("email", email), ("password", Self.password)])
            Self.check(merged)
            #expect(merged.path == "/cart")
            #expect(Browser.all(#"(class="line")"#, in: merged.html).count == 2, "the guest cart merged at sign-up")
            #expect(browser.cookies["sf_cart"] == nil)
            let access = try #require(merged.setCookies.first { $0.hasPrefix("sf_access=") })
            #expect(access.contains("HttpOnly") && access.contains("SameSite=Lax") && access.contains("Path=/"))
            #expect(!access.contains("Secure"), "plain HTTP: no Secure, or browsers would drop it")

            let form = try await browser.get("/checkout")
            Self.check(form)
            let declined = try await browser.post("/checkout", Self.address + [
                ("cardNumber", "4000 0000 0000 0002"), ("expMonth", "12"), ("expYear", "2030"), ("cvc", "123"),
            ])
            Self.check(declined)
            #expect(declined.path.hasPrefix("/orders/"))
            #expect(declined.html.contains("declined"), "\(declined.html)")
            #expect(declined.html.contains("Your cart was kept"))
            let kept = try await browser.get("/cart")
            #expect(Browser.all(#"(class="line")"#, in: kept.html).count == 2, "the cart is kept after a declined card")

            // A refused field is named next to it.
            _ = try await browser.get("/checkout")
            let invalid = try await browser.post("/checkout", Self.address + [
                ("cardNumber", "1234"), ("expMonth", "12"), ("expYear", "2030"), ("cvc", "123"),
            ])
            Self.check(invalid, status: 400)
            #expect(invalid.html.contains(#"id="cardNumber-error""#), "\(invalid.html)")

            _ = try await browser.get("/checkout")
            let confirmed = try await browser.post("/checkout", Self.address + [
                ("cardNumber", "4242424242424242"), ("expMonth", "12"), ("expYear", "2030"), ("cvc", "123"),
            ])
            Self.check(confirmed)
            #expect(confirmed.html.contains("your order is confirmed"), "\(confirmed.html)")
            #expect(confirmed.html.contains("<ol class=\"timeline\">"))
            let orderID = String(confirmed.path.dropFirst("/orders/".count))
            let empty = try await browser.get("/cart")
            #expect(empty.html.contains("Your cart is empty"))

            // The access token expires: the refresh token gets a new one (and rotates).
            let refreshBefore = browser.cookies["sf_refresh"]
            browser.forget("sf_access")
            let orders = try await browser.get("/orders")
            Self.check(orders)
            #expect(orders.html.contains(orderID))
            #expect(browser.cookies["sf_refresh"] != nil && browser.cookies["sf_refresh"] != refreshBefore)

            Self.check(try await browser.get("/notifications"))
            Self.check(try await browser.get("/products/\(products[0])"))

            let signedOut = try await browser.post("/signout", [])
            Self.check(signedOut)
            #expect(browser.cookies["sf_access"] == nil && browser.cookies["sf_refresh"] == nil)
            let again = try await browser.get("/orders")
            #expect(again.path == "/signin", "signed out, the orders need a sign-in")
        }
    }

    /// A form posted without its token, with another session's, or with none at all is a 403
    /// page, and nothing is written; a product named like a script shows as text.
    @Test func formsNeedTheirTokenAndOutputIsEscaped() async throws {
        try await Self.withShop(table: .withoutConsumers) { browser, client, platform in
            let category = try await CatalogAPIContract.firstCategory(client)
            let xss = "<script>alert(1)</script>"
            let body = #"""
                {"name": "\#(xss)", "description": "\"><img src=x onerror=alert(2)>", "categoryId": "\#(category)", "status": "active",
                 "variants": [{"sku": "XSS-1", "attributes": {"size": "<b>M</b>"}, "price": {"amount": 1250, "currency": "EUR"}}]}
                """#
            let id = try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) {
                response in
                #expect(response.status == .created)
                return try #require(response.json["id"] as? String)
            }
            let page = try await browser.get("/products/\(id)")
            Self.check(page)
            #expect(page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.html.contains("<script>alert(1)"))
            #expect(!page.html.contains("<img src=x"))
            #expect(page.html.contains("€12.50"))

            // A guest without a session: a post from another site, or one that does not say where
            // it comes from, is a 403 and makes no cart (the 403 page starts a session).
            let sku = try #require(Browser.first(#"name="sku" value="([^"]+)""#, in: page.html))
            for source in [Browser.Source.otherSite, .unsaid] {
                let refused = try await browser.post("/cart/items", [("sku", sku), ("quantity", "1")], from: source)
                Self.check(refused, status: 403)
                #expect(refused.setCookies.allSatisfy { !$0.hasPrefix("sf_cart=") })
                #expect(browser.cookies["sf_cart"] == nil)
            }
            #expect(browser.cookies["sf_session"] != nil)
            // With a session: without a token, with a forged one, with another session's (the
            // session cookie gone, posted from another site): 403, no cart made.
            let withSession = try await browser.get("/products/\(id)")
            #expect(withSession.headers.first(name: "Cache-Control") == "private, no-store")
            let stolen = try #require(browser.csrf)
            #expect(!stolen.isEmpty)
            for token in [nil, "forged", stolen] as [String?] {
                if token == stolen { browser.forget("sf_session") }
                let fields = [("sku", sku), ("quantity", "1")] + (token.map { [("_csrf", $0)] } ?? [])
                let refused = try await browser.post("/cart/items", fields, csrf: false, from: token == stolen ? .otherSite : .shop)
                Self.check(refused, status: 403)
                #expect(refused.setCookies.allSatisfy { !$0.hasPrefix("sf_cart=") })
                #expect(browser.cookies["sf_cart"] == nil)
            }
            // A sign-up without a token creates no account.
            let email = "forged-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            let refused = try await browser.post("/signup", [("email", email), ("password", Self.password)], csrf: false)
            Self.check(refused, status: 403)
            try await client.execute(
                uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "\#(email)", "password": "\#(Self.password)"}"#)
            ) { response in
                #expect(response.status == .unauthorized)
            }
            // With the page's token the same form works; so does a guest's without a session,
            // from the shop's own page (its answer starts the session).
            try await Self.stock("XSS-1", client: client)
            _ = try await browser.get("/products/\(id)")
            #expect(try #require(browser.csrf).isEmpty == false)
            let added = try await browser.post("/cart/items", [("sku", sku), ("quantity", "1")])
            Self.check(added)
            #expect(added.html.contains("&lt;script&gt;"))
            #expect(browser.cookies["sf_cart"] != nil)
            let guest = Browser(base: try #require(platform.address.baseURL))
            do {
                let guestPage = try await guest.get("/products/\(id)")
                #expect(guest.csrf == "" && guest.cookies.isEmpty, "a guest's page carries no token")
                Self.check(guestPage)
                let guestAdded = try await guest.post("/cart/items", [("sku", sku), ("quantity", "1")])
                Self.check(guestAdded)
                #expect(guestAdded.path == "/cart" && guest.cookies["sf_cart"] != nil && guest.cookies["sf_session"] != nil)
                try await guest.shutdown()
            } catch {
                try? await guest.shutdown()
                throw error
            }
        }
    }

    /// A guest's browsing pages (home, search, a product) are the same for every guest: public
    /// with an ETag (304 on a match) and surrogate keys, no cookie set, no form token; with a
    /// session cookie the same pages are the visitor's (private, with the session's token).
    @Test func guestPagesAreSharedAndSessionPagesPrivate() async throws {
        try await Self.withShop(table: .withoutConsumers) { browser, client, _ in
            let id = try await client.execute(uri: "/v1/products?limit=1", method: .get) {
                try #require((($0.json["items"] as? [[String: Any]])?.first?["id"]) as? String)
            }
            for path in ["/", "/search?q=lamp", "/products/\(id)"] {
                let page = try await browser.get(path)
                Self.check(page)
                #expect(page.headers.first(name: "Cache-Control")?.hasPrefix("public, max-age=") == true, "\(path)")
                #expect(page.setCookies.isEmpty && browser.cookies.isEmpty, "\(path)")
                #expect(page.headers.first(name: "Vary") == "Authorization, Cookie", "\(path)")
                #expect(page.headers.first(name: "Surrogate-Key")?.hasPrefix("products ") == true, "\(path)")
                #expect((browser.csrf ?? "").isEmpty, "\(path): no form token")
                let tag = try #require(page.headers.first(name: "ETag"))
                let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: tag]) { $0 }
                #expect(again.status == .notModified, "\(path)")
            }
            let product = try await browser.get("/products/\(id)")
            #expect(product.headers.first(name: "Surrogate-Key")?.contains("product-\(id)") == true)
            // A session (the cart page starts one): the same pages are the visitor's.
            _ = try await browser.get("/cart")
            #expect(browser.cookies["sf_session"] != nil)
            for path in ["/", "/products/\(id)"] {
                let page = try await browser.get(path)
                Self.check(page)
                #expect(page.headers.first(name: "Cache-Control") == "private, no-store", "\(path)")
                #expect(page.headers.first(name: "Surrogate-Key") == nil, "\(path)")
            }
            #expect(!(try #require(browser.csrf)).isEmpty)
        }
    }

    /// Behind a proxy that ends TLS (in `http.trustedProxies`, saying `X-Forwarded-Proto: https`)
    /// every cookie is `Secure`; the same header from an address not trusted changes nothing.
    @Test func cookiesAreSecureBehindATrustedTLSProxy() async throws {
        for (trusted, secure) in [("127.0.0.1", true), ("192.0.2.1", false)] {
            try await TestPlatform.withClient(.sqlite, extra: ["http.trustedProxies": trusted], live: true) { client, _ in
                let page = try await client.execute(uri: "/signin", method: .get, headers: [.init("X-Forwarded-Proto")!: "https"]) { $0 }
                #expect(page.status == .ok)
                let cookies = page.headers[values: .setCookie]
                #expect(cookies.contains { $0.hasPrefix("sf_session=") })
                #expect(cookies.allSatisfy { $0.contains("; Secure") == secure }, "trusted \(trusted): \(cookies)")
                #expect(cookies.allSatisfy { $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
            }
        }
    }
}
