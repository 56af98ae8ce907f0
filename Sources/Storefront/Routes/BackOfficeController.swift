import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1
import Security

/// The back office (`/admin`): pages for support, catalog managers and administrators over the
/// same public API as the shop's, called with the visitor's own token. A page needs the
/// permission of its section (``BackOfficeSection``): a visitor without it gets a 403 page, a
/// guest the sign-in form; and the API checks every call again.
struct BackOfficeController: Sendable {
    let responder: PageResponder
    let shopper: Shopper
    /// The currency of a new product's prices.
    let currency: String

    func addRoutes(to router: ServiceRouter) {
        router.page("/admin", method: .get, use: home)
        router.page("/admin/products", method: .get, use: products)
        router.page("/admin/products", method: .post, use: createProduct)
        router.page("/admin/products/new", method: .get, use: newProduct)
        router.page("/admin/products/{id}", method: .get, use: product)
        router.page("/admin/products/{id}", method: .post, use: saveProduct)
        router.page("/admin/products/{id}/archive", method: .post, use: archiveProduct)
        router.page("/admin/products/{id}/stock/{sku}", method: .post, use: setStock)
        router.page("/admin/orders", method: .get, use: orders)
        router.page("/admin/orders/{id}", method: .get, use: order)
        router.page("/admin/orders/{id}/{action}", method: .post, use: orderAction)
        router.page("/admin/orders/{id}/refunds/{payment}", method: .post, use: refund)
        router.page("/admin/users", method: .get, use: users)
        router.page("/admin/users/{id}", method: .get, use: user)
        router.page("/admin/users/{id}/roles", method: .post, use: setRoles)
        router.page("/admin/audit", method: .get, use: audit)
    }

    /// What the visitor may do here, or the page they get instead: the sign-in form for a guest,
    /// a 403 page without the section's permission (without any staff permission for the home).
    struct Access {
        var permissions: Set<Permission> = []
        var refusal: PageResult?
    }

    private func access(_ visit: inout Visit, _ request: Request, _ section: BackOfficeSection?) async throws(ShopAPIError) -> Access {
        guard let token = try await shopper.token(&visit) else {
            let back = request.method == .get ? request.uri.description : section?.path ?? "/admin"
            return Access(refusal: .redirect(QueryString.link("/signin", [("next", back)])))
        }
        let permissions = AccessTokenClaims(token: token).permissions
        if let section, !permissions.contains(section.permission) {
            return Access(refusal: PageResponder.errorPage(
                .forbidden, "Your account may not open \(section.label.lowercased()): that needs the permission \(section.permission.rawValue)."))
        }
        if section == nil, !BackOfficeSection.isStaff(permissions) {
            return Access(refusal: PageResponder.errorPage(.forbidden, "The back office is for the shop's staff: your account has no role that opens it."))
        }
        return Access(permissions: permissions)
    }

    /// The message of a finished action, from the fixed ones (`?done=saved`); the query never
    /// puts its own words on the page.
    static let notices = [
        "created": "The product was created.", "saved": "The product was saved.", "archived": "The product was archived.",
        "stock": "The stock was set.", "ship": "The order was shipped: its payment captured, its stock committed.",
        "cancel": "The order was cancelled: its payment voided, its stock released.", "deliver": "The order was recorded delivered.",
        "refund": "The refund was made.", "roles": "The roles were changed; they apply from the user's next sign-in or token refresh.",
    ]

    private static func notice(_ request: Request) -> String? {
        request.uri.queryParameters["done"].flatMap { notices[String($0)] }
    }

    @Sendable func home(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, nil)
            if let refusal = access.refusal { return refusal }
            return .page("admin", title: "Back office", view: BackOfficeViews.home(access.permissions))
        }
    }

    // MARK: products

    @Sendable func products(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            let query = request.uri.queryParameters["q"].map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            // A product id opens the product, whatever its status (the search shows active products only).
            if let id = UUID(uuidString: query) { return .redirect("/admin/products/\(id.uuidString.lowercased())") }
            var pairs = [("limit", "20")]
            if query.isEmpty { pairs.append(("sort", "newest")) } else { pairs.append(("q", query)) }
            if let cursor = request.uri.queryParameters["cursor"] { pairs.append(("cursor", String(cursor))) }
            let answer = try await shopper.sendSignedIn(&visit, .GET, QueryString.link("/v1/products", pairs))
            var page = APITypes.ProductPage(items: [], nextCursor: nil, facets: nil)
            var error: String?
            if answer.status == 400 || answer.status == 422, case .refused(let problem) = answer.refusal {
                error = FieldMessages(problem, fields: []).form
            } else {
                page = try answer.decode(APITypes.ProductPage.self)
            }
            return .page("admin-products", title: "Products", view: BackOfficeViews.products(page, query: query, permissions: access.permissions, lookupError: error))
        }
    }

    @Sendable func newProduct(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            var form = ProductForm(currency: currency)
            form.rows = Array(repeating: .init(), count: 3)
            return try await editor(&visit, form, product: nil, messages: FieldMessages(), access: access)
        }
    }

    @Sendable func product(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such product.") }
            let answer = try await shopper.sendSignedIn(&visit, .GET, "/v1/products/\(id)")
            let product = try answer.decode(APITypes.Product.self)
            return try await editor(
                &visit, ProductForm(product), product: (product.id, answer.headers.first(name: "ETag") ?? ""), messages: FieldMessages(),
                access: access, notice: Self.notice(request))
        }
    }

    @Sendable func createProduct(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, data in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            let form = ProductForm(data, fallbackCurrency: currency)
            let (body, messages, rows) = form.body()
            guard let body else { return try await editor(&visit, form, product: nil, messages: messages, access: access, status: .badRequest) }
            let answer = try await shopper.sendSignedIn(&visit, .POST, "/v1/products", json: body)
            guard answer.isSuccess else { return try await refusedEdit(&visit, answer, form: form, product: nil, rows: rows, access: access) }
            let created = try answer.decode(APITypes.Product.self)
            return .redirect("/admin/products/\(created.id)?done=created")
        }
    }

    @Sendable func saveProduct(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, data in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such product.") }
            let version = Self.entityTag(data["version"])
            let form = ProductForm(data, fallbackCurrency: currency)
            let (body, messages, rows) = form.body()
            guard let body else { return try await editor(&visit, form, product: (id, version), messages: messages, access: access, status: .badRequest) }
            let answer = try await shopper.sendSignedIn(&visit, .PATCH, "/v1/products/\(id)", json: body, headers: [("If-Match", version)])
            guard answer.isSuccess else { return try await refusedEdit(&visit, answer, form: form, product: (id, version), rows: rows, access: access) }
            return .redirect("/admin/products/\(id)?done=saved")
        }
    }

    @Sendable func archiveProduct(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, data in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such product.") }
            let version = Self.entityTag(data["version"])
            let answer = try await shopper.sendSignedIn(&visit, .PATCH, "/v1/products/\(id)", json: ["status": "archived"], headers: [("If-Match", version)])
            guard answer.isSuccess else {
                let current = try await shopper.sendSignedIn(&visit, .GET, "/v1/products/\(id)")
                let product = try current.decode(APITypes.Product.self)
                return try await refusedEdit(
                    &visit, answer, form: ProductForm(product), product: (id, current.headers.first(name: "ETag") ?? ""), rows: [], access: access)
            }
            return .redirect("/admin/products/\(id)?done=archived")
        }
    }

    @Sendable func setStock(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, data in
            let access = try await access(&visit, request, .products)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context), let sku = context.parameters.get("sku") else {
                return PageResponder.errorPage(.notFound, "There is no such product.")
            }
            var message: String?
            if let available = data.text("available").flatMap(Int.init), available >= 0 {
                let answer = try await shopper.sendSignedIn(
                    &visit, .PUT, "/v1/inventory/\(QueryString.encode(sku))", json: ["available": available])
                if answer.isSuccess { return .redirect("/admin/products/\(id)?done=stock") }
                let problem = try answer.shownRefusal(except: [401])
                message = "\(sku): \(FieldMessages(problem, fields: []).form ?? problem.title)"
            } else {
                message = "\(sku): enter the units available, a whole number of 0 or more."
            }
            let current = try await shopper.sendSignedIn(&visit, .GET, "/v1/products/\(id)")
            let product = try current.decode(APITypes.Product.self)
            return try await editor(
                &visit, ProductForm(product), product: (id, current.headers.first(name: "ETag") ?? ""), messages: FieldMessages(form: message),
                access: access, status: .badRequest)
        }
    }

    /// The product form again with what the API refused: a 412 says someone changed it since.
    private func refusedEdit(
        _ visit: inout Visit, _ answer: ShopAPI.Answer, form: ProductForm, product: (id: String, version: String)?, rows: [Int], access: Access
    ) async throws -> PageResult {
        let problem = try answer.shownRefusal(except: [401, 403, 404])
        let messages = problem.status == 412
            ? FieldMessages(form: "Someone changed this product after you opened it, so nothing was saved. Open it again to see their change, then make yours.")
            : FieldMessages(problem, fields: form.fieldNames, rename: ProductForm.apiNames(rowOfVariant: rows))
        return try await editor(&visit, form, product: product, messages: messages, access: access, status: .init(code: problem.status))
    }

    /// The product form page: the categories to choose from and, for a stored product, each
    /// variant's stock.
    private func editor(
        _ visit: inout Visit, _ form: ProductForm, product: (id: String, version: String)?, messages: FieldMessages, access: Access,
        notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> PageResult {
        let categories = try await shopper.send(&visit, .GET, "/v1/categories").decode(APITypes.Items<APITypes.Category>.self).items
        let stock = product == nil ? [:] : await shopper.stockLevels(visit, skus: form.rows.map(\.sku).filter { !$0.isEmpty })
        let view = BackOfficeViews.productEditor(
            form, product: product, categories: categories, stock: stock, messages: messages, permissions: access.permissions, notice: notice)
        return .page("admin-product", title: view.heading, view: view, status: status)
    }

    // MARK: orders

    @Sendable func orders(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .orders)
            if let refusal = access.refusal { return refusal }
            let parameters = request.uri.queryParameters
            let status = parameters["status"].map(String.init).flatMap { BackOfficeViews.orderStatuses.contains($0) ? $0 : nil } ?? ""
            let customer = parameters["customer"].map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            var pairs = [("limit", "20")]
            if !status.isEmpty { pairs.append(("status", status)) }
            var formError: String?
            if !customer.isEmpty {
                // A customer is named by id or by email (looked up at the users service).
                if let id = UUID(uuidString: customer) {
                    pairs.append(("customer", id.uuidString.lowercased()))
                } else if let id = try await userID(&visit, email: customer) {
                    pairs.append(("customer", id))
                } else {
                    formError = "No account has the email \(customer)."
                }
            }
            if let cursor = parameters["cursor"] { pairs.append(("cursor", String(cursor))) }
            var page = APITypes.Items<APITypes.Order>(items: [], nextCursor: nil)
            if formError == nil {
                let answer = try await shopper.sendSignedIn(&visit, .GET, QueryString.link("/v1/orders", pairs))
                if answer.status == 400 || answer.status == 422, case .refused(let problem) = answer.refusal {
                    formError = FieldMessages(problem, fields: []).form
                } else {
                    page = try answer.decode(APITypes.Items<APITypes.Order>.self)
                }
            }
            let view = BackOfficeViews.orders(page, status: status, customer: customer, permissions: access.permissions, formError: formError)
            return .page("admin-orders", title: "Orders", view: view)
        }
    }

    /// The id of the account with `email`, when there is one and the visitor may look it up.
    private func userID(_ visit: inout Visit, email: String) async throws -> String? {
        let answer = try await shopper.sendSignedIn(&visit, .GET, QueryString.link("/v1/users", [("email", email)]))
        return (try? answer.decode(APITypes.Items<APITypes.Profile>.self))?.items.first?.id
    }

    @Sendable func order(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .orders)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such order.") }
            return try await orderPage(&visit, id: id, access: access, notice: Self.notice(request))
        }
    }

    @Sendable func orderAction(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, _ in
            let access = try await access(&visit, request, .orders)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context), let action = context.parameters.get("action"), ["ship", "cancel", "deliver"].contains(action) else {
                return PageResponder.errorPage(.notFound, "There is no such order.")
            }
            let answer = try await shopper.sendSignedIn(&visit, .POST, "/v1/orders/\(id)/\(action)")
            guard answer.isSuccess else { return try await refusedOrder(&visit, answer, id: id, access: access) }
            return .redirect("/admin/orders/\(id)?done=\(action)")
        }
    }

    @Sendable func refund(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let access = try await access(&visit, request, .orders)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context), let payment = context.parameters.get("payment").flatMap(UUID.init(uuidString:)) else {
                return PageResponder.errorPage(.notFound, "There is no such payment.")
            }
            let currency = form.text("currency").flatMap { Currency.isValid($0) ? $0 : nil } ?? currency
            var amount: Money?
            if let typed = form.text("amount") {
                guard let minor = PriceFormat.minorUnits(typed, currency: currency), minor > 0 else {
                    return try await orderPage(&visit, id: id, access: access, formError: "Enter the amount to refund, such as 10.00, or leave it empty to refund all.", status: .badRequest)
                }
                amount = Money(amount: minor, currency: currency)
            }
            guard let reason = form.text("reason") else {
                return try await orderPage(&visit, id: id, access: access, formError: "Give the refund's reason.", status: .badRequest)
            }
            let answer = try await shopper.sendSignedIn(
                &visit, .POST, "/v1/payments/\(payment.uuidString.lowercased())/refunds", json: RefundRequest(amount: amount, reason: reason),
                headers: [("Idempotency-Key", form.text("idempotencyKey") ?? UUID().uuidString.lowercased())])
            guard answer.isSuccess else { return try await refusedOrder(&visit, answer, id: id, access: access) }
            return .redirect("/admin/orders/\(id)?done=refund")
        }
    }

    private func refusedOrder(_ visit: inout Visit, _ answer: ShopAPI.Answer, id: String, access: Access) async throws -> PageResult {
        let problem = try answer.shownRefusal(except: [401, 404])
        return try await orderPage(
            &visit, id: id, access: access, formError: FieldMessages(problem, fields: []).form, status: .init(code: problem.status))
    }

    /// An order with its lines, its event stream and its payments.
    private func orderPage(
        _ visit: inout Visit, id: String, access: Access, notice: String? = nil, formError: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> PageResult {
        let order = try await shopper.sendSignedIn(&visit, .GET, "/v1/orders/\(id)").decode(APITypes.Order.self)
        let events = try await shopper.sendSignedIn(&visit, .GET, "/v1/orders/\(id)/events").decode(APITypes.Items<APITypes.OrderEvent>.self).items
        var payments: [APITypes.Payment] = []
        if access.permissions.contains(.paymentsRead) {
            payments = try await shopper.sendSignedIn(&visit, .GET, "/v1/payments?order_id=\(id)").decode(APITypes.Items<APITypes.Payment>.self).items
        }
        let view = BackOfficeViews.orderDetail(
            order, events: events, payments: payments, permissions: access.permissions, idempotencyKey: UUID().uuidString.lowercased(),
            formError: formError, notice: notice)
        return .page("admin-order", title: "Order \(id.prefix(8))", view: view, status: status)
    }

    // MARK: users

    @Sendable func users(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .users)
            if let refusal = access.refusal { return refusal }
            let email = request.uri.queryParameters["email"].map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
            var pairs = [("limit", "20")]
            if !email.isEmpty { pairs.append(("email", email)) }
            if let cursor = request.uri.queryParameters["cursor"] { pairs.append(("cursor", String(cursor))) }
            let page = try await shopper.sendSignedIn(&visit, .GET, QueryString.link("/v1/users", pairs)).decode(APITypes.Items<APITypes.Profile>.self)
            return .page("admin-users", title: "Users", view: BackOfficeViews.users(page, email: email, permissions: access.permissions))
        }
    }

    @Sendable func user(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .users)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such user.") }
            let profile = try await shopper.sendSignedIn(&visit, .GET, "/v1/users/\(id)").decode(APITypes.Profile.self)
            let view = BackOfficeViews.userDetail(profile, permissions: access.permissions, notice: Self.notice(request))
            return .page("admin-user", title: profile.email, view: view)
        }
    }

    @Sendable func setRoles(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.post(request, context) { visit, form in
            let access = try await access(&visit, request, .users)
            if let refusal = access.refusal { return refusal }
            guard let id = Self.id(context) else { return PageResponder.errorPage(.notFound, "There is no such user.") }
            let roles = Role.allCases.map(\.rawValue).filter { form["role.\($0)"] != nil }
            let answer = try await shopper.sendSignedIn(&visit, .PUT, "/v1/users/\(id)/roles", json: ["roles": roles])
            guard answer.isSuccess else {
                let problem = try answer.shownRefusal(except: [401, 404])
                let profile = try await shopper.sendSignedIn(&visit, .GET, "/v1/users/\(id)").decode(APITypes.Profile.self)
                let message = roles.isEmpty ? "Choose at least one role." : FieldMessages(problem, fields: []).form
                return .page(
                    "admin-user", title: profile.email, view: BackOfficeViews.userDetail(profile, permissions: access.permissions, formError: message),
                    status: .init(code: problem.status))
            }
            return .redirect("/admin/users/\(id)?done=roles")
        }
    }

    // MARK: audit

    @Sendable func audit(_ request: Request, context: EmporiumRequestContext) async -> Response {
        await responder.get(request, context) { visit in
            let access = try await access(&visit, request, .audit)
            if let refusal = access.refusal { return refusal }
            var pairs = [("limit", "50")]
            if let cursor = request.uri.queryParameters["cursor"] { pairs.append(("cursor", String(cursor))) }
            let page = try await shopper.sendSignedIn(&visit, .GET, QueryString.link("/v1/audit", pairs)).decode(APITypes.Items<APITypes.AuditEntry>.self)
            return .page("admin-audit", title: "Audit log", view: BackOfficeViews.audit(page, permissions: access.permissions))
        }
    }

    // MARK: helpers

    /// The `{id}` of the path, lower-cased, when it is a UUID.
    private static func id(_ context: EmporiumRequestContext) -> String? {
        context.parameters.get("id").flatMap(UUID.init(uuidString:))?.uuidString.lowercased()
    }

    /// The version a form was opened at, as an entity tag (`"3"`); `"0"`, which no product has,
    /// when it is missing or malformed (so the API refuses the change with a 412).
    static func entityTag(_ value: String?) -> String {
        guard let value, value.count <= 24, value.first == "\"", value.last == "\"", value.count > 2,
            value.dropFirst().dropLast().allSatisfy(\.isASCIIDigit)
        else { return "\"0\"" }
        return value
    }
}

struct RefundRequest: Encodable, Sendable {
    var amount: Money?
    var reason: String
}
