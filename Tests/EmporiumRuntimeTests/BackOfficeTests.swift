import EmporiumKit
import EmporiumRuntime
import Foundation
import HTTPTypes
import HummingbirdTesting
import Identity
import NIOCore
import Security
import Synchronization
import Testing

/// The back office (`/admin`) driven as a browser without JavaScript drives it, by the staff it
/// is for and by a customer it refuses, against a one-process platform on SQLite.
@Suite struct BackOfficeTests {
    typealias Shop = StorefrontTests

    /// An account of `role` made as `emporium admin create-user` makes it, signed in through the
    /// storefront's form (which sends it back to `next`) in a browser of its own.
    static func staff(_ role: Role, _ platform: EmporiumPlatform, _ browsers: Browsers, next: String = "/admin") async throws -> (Browser, String) {
        let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first)
        let email = "\(role.rawValue)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try await auth.createUser(email: email, password: Shop.password, role: role)
        let browser = try browsers.open(platform)
        let form = try await browser.get("/signin?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
        #expect(form.html.contains(#"name="next" value="\#(next)""#))
        let landed = try await browser.post("/signin", [("email", email), ("password", Shop.password), ("next", next)])
        #expect(landed.path == next, "signed in, back to \(next)")
        return (browser, email)
    }

    /// The form fields of `html`'s form posting to `action`, as the page filled them in (inputs,
    /// the selected option of each select, textareas), without `_csrf` (the browser adds it).
    static func fields(of html: String, action: String) throws -> [(String, String)] {
        let form = try #require(Browser.first(#"(<form action="\#(NSRegularExpression.escapedPattern(for: action))" method="post"[\s\S]*?</form>)"#, in: html))
        var fields: [(String, String)] = []
        for input in Browser.all(#"(<input[^>]*>)"#, in: form) {
            guard let name = Browser.first(#" name="([^"]+)""#, in: input), name != "_csrf" else { continue }
            if input.contains(#"type="checkbox""#), !input.contains(" checked") { continue }
            fields.append((name, unescape(Browser.first(#" value="([^"]*)""#, in: input) ?? "")))
        }
        for select in Browser.all(#"(<select[\s\S]*?</select>)"#, in: form) {
            let name = try #require(Browser.first(#" name="([^"]+)""#, in: select))
            fields.append((name, unescape(Browser.first(#"<option value="([^"]*)" selected"#, in: select) ?? "")))
        }
        for area in Browser.all(#"(<textarea[\s\S]*?</textarea>)"#, in: form) {
            let name = try #require(Browser.first(#" name="([^"]+)""#, in: area))
            fields.append((name, unescape(Browser.first(#">([\s\S]*)</textarea>"#, in: area) ?? "")))
        }
        return fields
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func replacing(_ fields: [(String, String)], _ changes: [String: String]) -> [(String, String)] {
        fields.map { ($0.0, changes[$0.0] ?? $0.1) }
    }

    /// A guest is sent to sign in; a customer gets 403 pages (and a form posted anyway writes
    /// nothing); a catalog manager creates a product, sets its stock, changes its price (which
    /// the shop shows), is refused a stale edit and archives it; support finds a customer's
    /// order, ships and refunds it; an administrator changes a user's roles and reads the audit.
    @Test func staffRunTheShopAndCustomersAreRefused() async throws {
        try await Shop.withShop(table: .standard) { guest, client, platform in
            let browsers = Browsers()
            do {
                try await Self.journey(guest, client, platform, browsers)
                await browsers.close()
            } catch {
                await browsers.close()
                throw error
            }
        }
    }

    static func journey(_ guest: Browser, _ client: any TestClientProtocol, _ platform: EmporiumPlatform, _ browsers: Browsers) async throws {
        // A guest: the sign-in form, which comes back here.
        let signIn = try await guest.get("/admin/orders?status=confirmed")
        #expect(signIn.path.hasPrefix("/signin?next="))
        #expect(signIn.html.contains(#"name="next" value="/admin/orders?status=confirmed""#))

        // A customer: 403 pages, no link to the back office, and a posted form writes nothing.
        let customer = guest
        let email = "buyer-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try await customer.post("/signup", [("email", email), ("password", Shop.password)])
        #expect(!(try await customer.get("/")).html.contains(#"href="/admin""#))
        for path in ["/admin", "/admin/products", "/admin/products/new", "/admin/orders", "/admin/users", "/admin/audit"] {
            Shop.check(try await customer.get(path), status: 403)
        }
        let category = try await CatalogAPIContract.firstCategory(client)
        let forged = try await customer.post("/admin/products", [
            ("name", "Forged"), ("categoryId", category), ("status", "active"), ("currency", "USD"),
            ("sku.0", "FORGED-1"), ("attributes.0", ""), ("price.0", "1.00"),
        ])
        Shop.check(forged, status: 403)
        let search = try await client.execute(uri: "/v1/products?q=Forged", method: .get) { $0.json["items"] as? [Any] }
        #expect(search?.isEmpty == true, "nothing was created")

        // A catalog manager: products and stock only.
        let (manager, _) = try await Self.staff(.catalogManager, platform, browsers)
        let home = try await manager.get("/admin")
        Shop.check(home)
        #expect(home.html.contains("Products and stock") && !home.html.contains(#"href="/admin/orders""#))
        #expect(home.html.contains(#"<a href="/admin">Back office</a>"#))
        Shop.check(try await manager.get("/admin/orders"), status: 403)
        Shop.check(try await manager.get("/admin/products"))

        let new = try await manager.get("/admin/products/new")
        Shop.check(new)
        let sku = "BO-\(UUID().uuidString.prefix(6))"
        var form = Self.replacing(try Self.fields(of: new.html, action: "/admin/products"), [
            "name": "Back Office Lamp", "status": "active", "categoryId": category, "sku.0": sku + "-S", "attributes.0": "size=S", "price.0": "12.50",
            "sku.1": sku + "-L", "attributes.1": "size=L", "price.1": "abc",
        ])
        form.append(("description", "A lamp made in the back office."))
        let refused = try await manager.post("/admin/products", form)
        Shop.check(refused, status: 400)
        #expect(refused.html.contains(#"id="price.1-error""#), "the bad price is named next to its field")
        #expect(refused.html.contains(#"value="Back Office Lamp""#), "what was typed is kept")
        let created = try await manager.post("/admin/products", Self.replacing(form, ["price.1": "19"]))
        Shop.check(created)
        #expect(created.html.contains("The product was created."), "\(created.html.prefix(2000))")
        let id = try #require(Browser.first(#"/admin/products/([0-9a-f-]{36})/archive"#, in: created.html))

        // Stock: the row comes from the catalog's event.
        var product = created
        for _ in 0..<100 where !product.html.contains(#"action="/admin/products/\#(id)/stock/"#) {
            try await Task.sleep(for: .milliseconds(100))
            product = try await manager.get("/admin/products/\(id)")
        }
        let stockAction = "/admin/products/\(id)/stock/\(sku)-S"
        let stocked = try await manager.post(stockAction, [("available", "7")])
        Shop.check(stocked)
        #expect(stocked.html.contains("The stock was set."))
        #expect(stocked.html.contains("<td>\(sku)-S</td><td>7</td>"), "\(stocked.html)")
        Shop.check(try await manager.post(stockAction, [("available", "-1")]), status: 400)

        // A new price, which the shop shows at once.
        let opened = try await manager.get("/admin/products/\(id)")
        let editForm = try Self.fields(of: opened.html, action: "/admin/products/\(id)")
        let saved = try await manager.post("/admin/products/\(id)", Self.replacing(editForm, ["price.0": "9.99"]))
        Shop.check(saved)
        #expect(saved.html.contains("The product was saved."))
        let shopPage = try await browsers.open(platform).get("/products/\(id)")
        #expect(shopPage.html.contains("$9.99"), "the shop shows the new price")
        // The form opened before that save is stale: nothing is written.
        let stale = try await manager.post("/admin/products/\(id)", Self.replacing(editForm, ["price.0": "1.00"]))
        Shop.check(stale, status: 412)
        #expect(stale.html.contains("Someone changed this product"))
        try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
            let variants = response.json["variants"] as? [[String: Any]] ?? []
            #expect((variants.first?["price"] as? [String: Any])?["amount"] as? Int == 999)
        }

        // Support: the customer's order, shipped and partly refunded.
        _ = try await customer.get("/products/\(id)")
        _ = try await customer.post("/cart/items", [("sku", sku + "-S"), ("quantity", "2")])
        _ = try await customer.get("/checkout")
        let order = try await customer.post("/checkout", Shop.address + [
            ("cardNumber", "4242424242424242"), ("expMonth", "12"), ("expYear", "2030"), ("cvc", "123"),
        ])
        #expect(order.html.contains("your order is confirmed"))
        let orderID = String(order.path.dropFirst("/orders/".count))

        let (support, _) = try await Self.staff(.support, platform, browsers, next: "/admin/orders")
        Shop.check(try await support.get("/admin/products"), status: 403)
        let found = try await support.get("/admin/orders?customer=\(email.uppercased())")
        Shop.check(found)
        #expect(found.html.contains(orderID), "found by the customer's email")
        let detail = try await support.get("/admin/orders/\(orderID)")
        Shop.check(detail)
        #expect(detail.html.contains("Order confirmed") || detail.html.contains("Confirmed"))
        #expect(detail.html.contains("<pre>"), "the event stream with its data")
        let shipped = try await support.post("/admin/orders/\(orderID)/ship", [])
        Shop.check(shipped)
        #expect(shipped.html.contains("The order was shipped"))
        #expect(shipped.html.contains("<strong>Shipped</strong>"))
        let payment = try #require(Browser.first(#"action="(/admin/orders/[0-9a-f-]+/refunds/[0-9a-f-]+)""#, in: shipped.html))
        let refundForm = try Self.fields(of: shipped.html, action: payment)
        Shop.check(try await support.post(payment, Self.replacing(refundForm, ["amount": "x", "reason": "damaged"])), status: 400)
        let refunded = try await support.post(payment, Self.replacing(refundForm, ["amount": "5", "reason": "damaged in transit"]))
        Shop.check(refunded)
        #expect(refunded.html.contains("The refund was made."))
        #expect(refunded.html.contains("<td>Partially refunded</td>"), "\(refunded.html)")
        #expect(refunded.html.contains("<td>$5.00</td></tr>"), "refunded: $5.00")
        // The same form posted again (its Idempotency-Key) refunds nothing more.
        let again = try await support.post(payment, Self.replacing(refundForm, ["amount": "5", "reason": "damaged in transit"]))
        #expect(again.html.contains("<td>$5.00</td></tr>"))

        // Catalog manager archives the product: the shop no longer shows it.
        let current = try await manager.get("/admin/products/\(id)")
        let archived = try await manager.post("/admin/products/\(id)/archive", try Self.fields(of: current.html, action: "/admin/products/\(id)/archive"))
        Shop.check(archived)
        #expect(archived.html.contains("The product was archived."))
        #expect(try await browsers.open(platform).get("/products/\(id)").status == 404)

        // An administrator: every section; a customer's roles changed, and audited.
        let (admin, _) = try await Self.staff(.admin, platform, browsers)
        let users = try await admin.get("/admin/users?email=\(email)")
        Shop.check(users)
        let userPath = try #require(Browser.first(#"href="(/admin/users/[0-9a-f-]{36})""#, in: users.html))
        let user = try await admin.get(userPath)
        Shop.check(user)
        let roles = try await admin.post("\(userPath)/roles", Self.replacing(try Self.fields(of: user.html, action: "\(userPath)/roles"), [:]) + [("role.support", "on")])
        Shop.check(roles)
        #expect(roles.html.contains("The roles were changed"))
        #expect(roles.html.contains("<dd>customer, support</dd>"), "\(roles.html)")
        // Stock adjustments reach the audit log through the inventory's events.
        var audit = try await admin.get("/admin/audit")
        for _ in 0..<100 where !audit.html.contains("Inventory adjusted") {
            try await Task.sleep(for: .milliseconds(100))
            audit = try await admin.get("/admin/audit")
        }
        Shop.check(audit)
        #expect(audit.html.contains("Roles changed"))
        #expect(audit.html.contains("Inventory adjusted"))
    }
}

/// The browsers a test opens besides its first, each closed at its end whatever happened (an
/// HTTP client must be shut down before it goes).
final class Browsers: Sendable {
    private let opened = Mutex<[Browser]>([])

    func open(_ platform: EmporiumPlatform) throws -> Browser {
        let browser = Browser(base: try #require(platform.address.baseURL))
        opened.withLock { $0.append(browser) }
        return browser
    }

    func close() async {
        for browser in opened.withLock({ list in defer { list = [] }; return list }) { try? await browser.shutdown() }
    }
}
