import Crypto
import NIOHTTP1
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The storefront's pages: thin handlers that ask the public API, build the page's view
/// (``PageViews``) and render it, or redirect after a form (post-redirect-get).
struct StorefrontController: Sendable {
    let responder: PageResponder
    let shopper: Shopper
    let assets: StorefrontAssets
    /// The currency of prices typed into forms (the price filter).
    let currency: String

    func addRoutes(to router: ServiceRouter) {
        router.page("/", method: .get, use: home)
        router.page("/search", method: .get, use: search)
        router.page("/products/{id}", method: .get, use: product)
        router.page("/cart", method: .get, use: cart)
        router.page("/cart/items", method: .post, use: addToCart)
        router.page("/cart/items/{sku}", method: .post, use: updateCartLine)
        router.page("/signup", method: .get, use: signUpForm)
        router.page("/signup", method: .post, use: signUp)
        router.page("/signin", method: .get, use: signInForm)
        router.page("/signin", method: .post, use: signIn)
        router.page("/signout", method: .post, use: signOut)
        router.page("/checkout", method: .get, use: checkoutForm)
        router.page("/checkout", method: .post, use: checkout)
        router.page("/orders", method: .get, use: orders)
        router.page("/orders/{id}", method: .get, use: order)
        router.page("/notifications", method: .get, use: notifications)
        router.page("/notifications/{id}/read", method: .post, use: markRead)
        router.page("/assets/{file}", method: .get, use: asset)
        router.page("/assets/placeholder/{id}", method: .get, use: placeholder)
    }

    // MARK: browsing

    @Sendable func home(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let categories = try await shopper.send(&visit, .GET, "/v1/categories").decode(APITypes.Items<APITypes.Category>.self).items
            let links = categories.filter { $0.parentId == nil }.map {
                PageViews.Link(label: $0.name, href: QueryString.link("/search", [("category", $0.id)]))
            }
            // Signed in: picked for them; a guest: what the shop sells most; before any order: the newest.
            var heading = "New in"
            var cards: [PageViews.ProductCard] = []
            let (listHeading, list) = visit.isSignedIn ? ("Picked for you", "/v1/recommendations/me?limit=8") : ("Popular", "/v1/recommendations/popular?limit=8")
            if let answer = try? await shopper.send(&visit, .GET, list),
                let items = try? answer.decode(APITypes.Items<APITypes.Recommendation>.self).items, !items.isEmpty
            {
                heading = listHeading
                cards = items.map { PageViews.ProductCard(id: $0.id, name: $0.name, price: nil) }
            } else {
                let newest = try await shopper.send(&visit, .GET, "/v1/products?sort=newest&limit=8").decode(APITypes.ProductPage.self)
                cards = newest.items.map(PageViews.ProductCard.init)
            }
            return .page("home", title: "Emporium", view: PageViews.Home(categories: links, productsHeading: heading, products: cards))
        }
    }

    @Sendable func search(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let filters = SearchFilters(query: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
            let categories = try await shopper.send(&visit, .GET, "/v1/categories").decode(APITypes.Items<APITypes.Category>.self).items
            let names = Dictionary(categories.map { ($0.id, $0.name) }) { first, _ in first }
            let (target, invalid) = filters.apiQuery(currency: currency)
            var formError: String?
            var page = APITypes.ProductPage(items: [], nextCursor: nil, facets: nil)
            if invalid.isEmpty {
                let answer = try await shopper.send(&visit, .GET, target)
                if answer.status == 400, case .refused(let problem) = answer.refusal {
                    formError = FieldMessages(problem, fields: []).form
                } else {
                    page = try answer.decode(APITypes.ProductPage.self)
                }
            }
            let view = SearchPage.view(
                filters: filters, page: page, categoryNames: names, invalid: invalid, formError: formError)
            return .page("search", title: view.heading, view: view)
        }
    }

    @Sendable func product(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let id = context.parameters.get("id") ?? ""
            guard UUID(uuidString: id) != nil else { return PageResponder.errorPage(.notFound, "There is no such product.") }
            let product = try await shopper.send(&visit, .GET, "/v1/products/\(id.lowercased())").decode(APITypes.Product.self)
            // The rest is public and independent: asked at once, not one after another.
            let shown = visit
            async let stock = shopper.stockLevels(shown, skus: product.variants.map(\.sku))
            async let together = shopper.fetch(shown, "/v1/recommendations/products/\(product.id)?limit=4", as: APITypes.Items<APITypes.Recommendation>.self)
            async let categories = shopper.fetch(shown, "/v1/categories", as: APITypes.Items<APITypes.Category>.self)
            let category = await categories?.items.first { $0.id == product.categoryId }
            let view = ProductPage.view(
                product, stock: await stock.mapValues(\.available), chosen: request.uri.queryParameters["sku"].map(String.init),
                category: category.map { PageViews.Link(label: $0.name, href: QueryString.link("/search", [("category", $0.id)])) },
                together: await together?.items ?? [])
            return .page(
                "product", title: product.name, view: view,
                surrogateKeys: [SurrogateKey.product(product.id), SurrogateKey.category(product.categoryId)])
        }
    }

    // MARK: cart

    @Sendable func cart(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let cart = try await shopper.send(&visit, .GET, "/v1/cart").decode(APITypes.Cart.self)
            return .page("cart", title: "Your cart", view: Self.cartView(cart, signedIn: visit.isSignedIn, error: nil))
        }
    }

    @Sendable func addToCart(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let sku = form.text("sku") ?? ""
            let quantity = Int(form.text("quantity") ?? "1") ?? 0
            let answer = try await shopper.send(&visit, .POST, "/v1/cart/items", json: CartItem(sku: sku, quantity: quantity))
            guard answer.isSuccess else { return try await cartWithError(&visit, answer) }
            return .redirect("/cart")
        }
    }

    @Sendable func updateCartLine(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let sku = QueryString.encode(context.parameters.get("sku") ?? "")
            let quantity = form["remove"] != nil ? 0 : Int(form.text("quantity") ?? "") ?? -1
            let answer = quantity == 0
                ? try await shopper.send(&visit, .DELETE, "/v1/cart/items/\(sku)")
                : try await shopper.send(&visit, .PATCH, "/v1/cart/items/\(sku)", json: ["quantity": quantity])
            guard answer.isSuccess else { return try await cartWithError(&visit, answer) }
            return .redirect("/cart")
        }
    }

    /// The cart page with what the API refused about a change.
    private func cartWithError(_ visit: inout Visit, _ refused: ShopAPI.Answer) async throws -> PageResult {
        let problem = try refused.shownRefusal(except: [401])
        let cart = try await shopper.send(&visit, .GET, "/v1/cart").decode(APITypes.Cart.self)
        let message = FieldMessages(problem, fields: []).form
        return .page("cart", title: "Your cart", view: Self.cartView(cart, signedIn: visit.isSignedIn, error: message), status: .init(code: problem.status))
    }

    static func cartView(_ cart: APITypes.Cart, signedIn: Bool, error: String?) -> PageViews.Cart {
        PageViews.Cart(
            lines: PageViews.cartLines(cart), empty: cart.lines.isEmpty, total: PriceFormat.format(cart.total), signedIn: signedIn, formError: error)
    }

    // MARK: account

    @Sendable func signUpForm(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { _ in .page("signup", title: "Create an account", view: AccountForms.signUp()) }
    }

    @Sendable func signUp(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let credentials = Credentials(email: form.text("email") ?? "", password: form["password"] ?? "")
            let registered = try await shopper.api.send(.POST, "/v1/auth/register", json: credentials, headers: shopper.forwarded(visit))
            guard registered.isSuccess else {
                return try AccountForms.refused(registered, form: AccountForms.signUp(email: credentials.email), template: "signup")
            }
            let login = try await shopper.api.send(.POST, "/v1/auth/login", json: credentials, headers: shopper.forwarded(visit))
            try await shopper.signIn(&visit, tokens: try login.decode(APITypes.Tokens.self))
            return .redirect("/cart")
        }
    }

    @Sendable func signInForm(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { _ in
            .page("signin", title: "Sign in", view: AccountForms.signIn(next: request.uri.queryParameters["next"].map(String.init)))
        }
    }

    @Sendable func signIn(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let credentials = Credentials(email: form.text("email") ?? "", password: form["password"] ?? "")
            let login = try await shopper.api.send(.POST, "/v1/auth/login", json: credentials, headers: shopper.forwarded(visit))
            guard login.isSuccess else {
                return try AccountForms.refused(login, form: AccountForms.signIn(email: credentials.email, next: form.text("next")), template: "signin")
            }
            try await shopper.signIn(&visit, tokens: try login.decode(APITypes.Tokens.self))
            return .redirect(LocalRedirect.path(form.text("next")) ?? "/cart")
        }
    }

    @Sendable func signOut(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, _ in
            if let refresh = visit.refreshToken {
                // Revoked at the auth service; the cookies go whatever it answers.
                _ = try? await shopper.api.send(.POST, "/v1/auth/logout", json: ["refreshToken": refresh], headers: shopper.forwarded(visit))
            }
            visit.forgetTokens()
            visit.forgetCart()
            visit.renewSession()
            return .redirect("/")
        }
    }

    // MARK: checkout and orders

    @Sendable func checkoutForm(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            guard visit.isSignedIn else { return .redirect("/signin") }
            let cart = try await shopper.sendSignedIn(&visit, .GET, "/v1/cart").decode(APITypes.Cart.self)
            guard !cart.lines.isEmpty else { return .redirect("/cart") }
            return .page("checkout", title: "Checkout", view: CheckoutForm.view(cart: cart, form: FormData(), messages: FieldMessages()))
        }
    }

    @Sendable func checkout(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            guard visit.isSignedIn else { return .redirect("/signin") }
            let card = CheckoutForm.card(form)
            let method = try await shopper.sendSignedIn(&visit, .POST, "/v1/payment-methods", json: card)
            guard method.isSuccess else { return try await checkoutRefused(&visit, form: form, method, fields: CheckoutForm.cardFieldNames) }
            let saved = try method.decode(APITypes.PaymentMethod.self)
            let key = form.text("idempotencyKey") ?? UUID().uuidString
            let placed = try await shopper.sendSignedIn(
                &visit, .POST, "/v1/checkout", json: CheckoutRequest(paymentMethodId: saved.id, shippingAddress: CheckoutForm.address(form)),
                headers: [("Idempotency-Key", key)])
            guard placed.isSuccess else { return try await checkoutRefused(&visit, form: form, placed, fields: CheckoutForm.addressFieldNames) }
            let order = try placed.decode(APITypes.Order.self)
            return .redirect("/orders/\(order.id)")
        }
    }

    /// The checkout form again with what the API refused next to its fields.
    private func checkoutRefused(_ visit: inout Visit, form: FormData, _ answer: ShopAPI.Answer, fields: Set<String>) async throws -> PageResult {
        guard case .refused(let problem) = answer.refusal, [400, 409, 422].contains(problem.status) else { throw answer.refusal }
        let cart = try await shopper.sendSignedIn(&visit, .GET, "/v1/cart").decode(APITypes.Cart.self)
        let messages = FieldMessages(problem, fields: fields, rename: CheckoutForm.apiNames)
        return .page(
            "checkout", title: "Checkout", view: CheckoutForm.view(cart: cart, form: form, messages: messages), status: .init(code: problem.status))
    }

    @Sendable func orders(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            var target = "/v1/orders?limit=20"
            if let cursor = request.uri.queryParameters["cursor"] { target += "&cursor=" + QueryString.encode(String(cursor)) }
            let page = try await shopper.sendSignedIn(&visit, .GET, target).decode(APITypes.Items<APITypes.Order>.self)
            let summaries = page.items.map {
                PageViews.OrderSummary(
                    id: $0.id, href: "/orders/\($0.id)", status: PageViews.status($0.status), total: PriceFormat.format($0.total),
                    placed: $0.createdAt.map(PageViews.time) ?? "")
            }
            let view = PageViews.Orders(
                orders: summaries, empty: summaries.isEmpty, nextPage: page.nextCursor.map { QueryString.link("/orders", [("cursor", $0)]) })
            return .page("orders", title: "Your orders", view: view)
        }
    }

    @Sendable func order(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let id = context.parameters.get("id") ?? ""
            guard UUID(uuidString: id) != nil else { return PageResponder.errorPage(.notFound, "There is no such order.") }
            let order = try await shopper.sendSignedIn(&visit, .GET, "/v1/orders/\(id.lowercased())").decode(APITypes.Order.self)
            let events = try await shopper.sendSignedIn(&visit, .GET, "/v1/orders/\(order.id)/events")
                .decode(APITypes.Items<APITypes.OrderEvent>.self).items
            let cancelled = order.status == "cancelled"
            let view = PageViews.Order(
                id: order.id, status: PageViews.status(order.status), confirmed: order.status == "confirmed", cancelled: cancelled,
                reason: order.cancellationReason.map(FieldMessages.sentence), cartKept: cancelled,
                lines: (order.lines ?? []).map {
                    PageViews.OrderLine(
                        name: $0.productName ?? $0.sku, sku: $0.sku, quantity: $0.quantity, lineTotal: $0.lineTotal.map(PriceFormat.format) ?? "")
                },
                total: PriceFormat.format(order.total),
                timeline: events.map { PageViews.TimelineEntry(label: PageViews.eventLabel($0.type), time: PageViews.time($0.recordedAt)) })
            return .page("order", title: "Order \(order.id.prefix(8))", view: view)
        }
    }

    @Sendable func notifications(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let items = try await shopper.sendSignedIn(&visit, .GET, "/v1/notifications?limit=50")
                .decode(APITypes.Items<APITypes.Notification>.self).items
            let views = items.map {
                PageViews.Notification(
                    id: $0.id, title: $0.title, body: $0.body, time: PageViews.time($0.createdAt), unread: $0.readAt == nil,
                    href: $0.subjectId.map { "/orders/\($0)" })
            }
            return .page("notifications", title: "Notifications", view: PageViews.Notifications(items: views, empty: views.isEmpty))
        }
    }

    @Sendable func markRead(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, _ in
            let id = context.parameters.get("id") ?? ""
            guard UUID(uuidString: id) != nil else { return PageResponder.errorPage(.notFound, "There is no such notification.") }
            let answer = try await shopper.sendSignedIn(&visit, .POST, "/v1/notifications/\(id.lowercased())/read")
            guard answer.isSuccess else { throw answer.refusal }
            return .redirect("/notifications")
        }
    }

    // MARK: assets

    /// The stylesheet and the icon by their content-hashed names (`storefront.1a2b3c4d5e.css`):
    /// a new content is a new name, so caches keep each for a year (EdgeCachePolicy).
    @Sendable func asset(_ request: Request, context: EmporiumRequestContext) async -> Response {
        guard let file = assets.file(named: context.parameters.get("file") ?? "") else {
            var response = Response(status: .notFound)
            PageResponder.secure(&response.headers)
            return response
        }
        var response = assets.response(body: file.content, contentType: file.contentType)
        response.headers[.eTag] = "\"\(file.hash)\""
        return response
    }

    @Sendable func placeholder(_ request: Request, context: EmporiumRequestContext) async -> Response {
        let file = context.parameters.get("id") ?? ""
        let id = file.hasSuffix(".svg") ? String(file.dropLast(4)) : ""
        guard PlaceholderImage.isValidID(id) else {
            var response = Response(status: .notFound)
            PageResponder.secure(&response.headers)
            return response
        }
        return assets.response(body: PlaceholderImage.svg(for: id.lowercased()), contentType: "image/svg+xml")
    }
}

// MARK: request bodies of the API

struct CartItem: Encodable, Sendable {
    var sku: String
    var quantity: Int
}

struct Credentials: Encodable, Sendable {
    var email: String
    var password: String
}

struct CheckoutRequest: Encodable, Sendable {
    var paymentMethodId: String
    var shippingAddress: PostalAddress
}

/// The storefront's own files: the stylesheet and the icon under names that carry a hash of
/// their content (kept a year by caches), and generated product images.
struct StorefrontAssets: Sendable {
    struct File: Sendable {
        var name: String
        var content: String
        var contentType: String
        /// The first 10 hex digits of the content's SHA-256.
        var hash: String

        init(stem: String, suffix: String, content: String, contentType: String) {
            self.content = content
            self.contentType = contentType
            hash = SHA256.hash(data: Data(content.utf8)).prefix(5).map { String(format: "%02x", $0) }.joined()
            name = "\(stem).\(hash).\(suffix)"
        }

        /// Its path, as pages link it.
        var path: String { "/assets/\(name)" }
    }

    let stylesheet: File
    let icon: File

    static func load() throws -> StorefrontAssets {
        guard let folder = PageRenderer.shippedFolder("Assets", containing: "storefront.css"),
            let css = try? String(contentsOfFile: folder + "/storefront.css", encoding: .utf8),
            let icon = try? String(contentsOfFile: folder + "/icon.svg", encoding: .utf8)
        else { throw StorefrontError(description: "the storefront's stylesheet or icon (emporium_Storefront.resources/Assets) is missing") }
        return StorefrontAssets(
            stylesheet: File(stem: "storefront", suffix: "css", content: css, contentType: "text/css; charset=utf-8"),
            icon: File(stem: "icon", suffix: "svg", content: icon, contentType: "image/svg+xml"))
    }

    func file(named name: String) -> File? {
        [stylesheet, icon].first { $0.name == name }
    }

    /// An asset's answer; its caching comes from EdgeCachePolicy's table.
    func response(body: String, contentType: String) -> Response {
        var response = Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
        PageResponder.secure(&response.headers)
        return response
    }
}
