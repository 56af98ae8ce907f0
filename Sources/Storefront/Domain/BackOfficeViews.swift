import EmporiumContracts
import EmporiumCore
import Foundation
import Security

/// What each back-office page shows, as its template reads it; built without I/O from the API's
/// answers and the visitor's permissions.
enum BackOfficeViews {
    /// The section menu of every back-office page.
    static func menu(_ permissions: Set<Permission>, current: BackOfficeSection?) -> [PageViews.Link] {
        BackOfficeSection.open(to: permissions).map { PageViews.Link(label: $0.label, href: $0.path, current: $0 == current) }
    }

    struct SectionCard: Sendable {
        var label: String
        var href: String
        var summary: String
    }

    struct Home: Sendable {
        var menu: [PageViews.Link]
        var sections: [SectionCard]
    }

    static func home(_ permissions: Set<Permission>) -> Home {
        Home(
            menu: menu(permissions, current: nil),
            sections: BackOfficeSection.open(to: permissions).map { SectionCard(label: $0.label, href: $0.path, summary: $0.summary) })
    }

    // MARK: products

    struct ProductRow: Sendable {
        var name: String
        var href: String
        var skus: String
        var price: String
    }

    struct Products: Sendable {
        var menu: [PageViews.Link]
        var query: String
        var products: [ProductRow]
        var empty: Bool
        var nextPage: String?
        var lookupError: String?
    }

    static func products(_ page: APITypes.ProductPage, query: String, permissions: Set<Permission>, lookupError: String?) -> Products {
        let rows = page.items.map {
            ProductRow(
                name: $0.name, href: "/admin/products/\($0.id)", skus: $0.variants.map(\.sku).joined(separator: ", "),
                price: $0.variants.map(\.price).min { $0.amount < $1.amount }.map(PriceFormat.format) ?? "")
        }
        return Products(
            menu: menu(permissions, current: .products), query: query, products: rows, empty: rows.isEmpty,
            nextPage: page.nextCursor.map { QueryString.link("/admin/products", (query.isEmpty ? [] : [("q", query)]) + [("cursor", $0)]) },
            lookupError: lookupError)
    }

    struct Option: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct VariantRow: Sendable {
        var number: Int
        var sku: PageViews.Field
        var attributes: PageViews.Field
        var price: PageViews.Field
    }

    struct StockRow: Sendable {
        var sku: String
        var available: String
        var onHand: String
        var reserved: String
        var inputID: String
        var action: String
        var known: Bool
    }

    struct ProductEditor: Sendable {
        var menu: [PageViews.Link]
        var heading: String
        var action: String
        var isNew: Bool
        var id: String?
        var version: String?
        var name: PageViews.Field
        var description: String
        var descriptionError: String?
        var categories: [Option]
        var categoryError: String?
        var statuses: [Option]
        var statusError: String?
        var currency: String
        var variants: [VariantRow]
        var stock: [StockRow]
        var hasStock: Bool
        var canArchive: Bool
        var canSetStock: Bool
        var shopHref: String?
        var formError: String?
        var notice: String?
    }

    static func productEditor(
        _ form: ProductForm, product: (id: String, version: String)?, categories: [APITypes.Category], stock: [String: APITypes.Stock],
        messages: FieldMessages, permissions: Set<Permission>, notice: String? = nil
    ) -> ProductEditor {
        let variants = form.rows.enumerated().map { index, row in
            VariantRow(
                number: index + 1,
                // Not `required`: a row left blank is no variant (the server checks each filled row).
                sku: field("sku.\(index)", "SKU", row.sku, messages, required: false),
                attributes: field("attributes.\(index)", "Attributes (name=value, …)", row.attributes, messages, required: false),
                price: field("price.\(index)", "Price (\(form.currency))", row.price, messages, required: false))
        }
        let stockRows = form.rows.filter { !$0.sku.isEmpty }.enumerated().compactMap { index, row -> StockRow? in
            guard let id = product?.id else { return nil }
            let level = stock[row.sku]
            return StockRow(
                sku: row.sku, available: level.map { "\($0.available)" } ?? "—", onHand: level?.onHand.map(String.init) ?? "—",
                reserved: level?.reserved.map(String.init) ?? "—", inputID: "stock-\(index)",
                action: "/admin/products/\(id)/stock/\(QueryString.encode(row.sku))", known: level != nil)
        }
        return ProductEditor(
            menu: menu(permissions, current: .products),
            heading: product == nil ? "New product" : "Edit \(form.name)",
            action: product.map { "/admin/products/\($0.id)" } ?? "/admin/products",
            isNew: product == nil, id: product?.id, version: product?.version,
            name: field("name", "Name", form.name, messages),
            description: form.description, descriptionError: messages.byField["description"],
            categories: categories.map { Option(value: $0.id, label: $0.name, selected: $0.id == form.categoryId) },
            categoryError: messages.byField["categoryId"],
            statuses: ProductForm.statuses.map { Option(value: $0, label: PageViews.status($0), selected: $0 == form.status) },
            statusError: messages.byField["status"],
            currency: form.currency, variants: variants, stock: stockRows, hasStock: !stockRows.isEmpty,
            canArchive: product != nil && form.status != "archived", canSetStock: permissions.contains(.inventoryWrite),
            shopHref: product.flatMap { form.status == "active" ? "/products/\($0.id)" : nil },
            formError: messages.form, notice: notice)
    }

    static func field(_ name: String, _ label: String, _ value: String, _ messages: FieldMessages, required: Bool = true) -> PageViews.Field {
        PageViews.Field(
            name: name, label: label, type: "text", value: value, error: messages.byField[name], autocomplete: "off", required: required, hint: nil)
    }

    // MARK: orders

    struct OrderRow: Sendable {
        var id: String
        var href: String
        var status: String
        var total: String
        var placed: String
        var customer: String
        var customerHref: String
        var items: String
    }

    struct Orders: Sendable {
        var menu: [PageViews.Link]
        var statuses: [Option]
        var customer: String
        var orders: [OrderRow]
        var empty: Bool
        var nextPage: String?
        var formError: String?
    }

    /// The statuses an order list can be filtered by (docs/api.md), and "any".
    static let orderStatuses = [
        "pending", "stock_reserved", "payment_authorized", "confirmed", "shipped", "delivered", "cancelled", "partially_refunded", "refunded",
    ]

    static func orders(
        _ page: APITypes.Items<APITypes.Order>, status: String, customer: String, permissions: Set<Permission>, formError: String?
    ) -> Orders {
        let rows = page.items.map { order in
            OrderRow(
                id: order.id, href: "/admin/orders/\(order.id)", status: PageViews.status(order.status), total: PriceFormat.format(order.total),
                placed: order.createdAt.map(PageViews.time) ?? "", customer: order.userId ?? "",
                customerHref: order.userId.map { "/admin/users/\($0)" } ?? "", items: order.itemCount.map(String.init) ?? "")
        }
        var filters: [(String, String)] = []
        if !status.isEmpty { filters.append(("status", status)) }
        if !customer.isEmpty { filters.append(("customer", customer)) }
        return Orders(
            menu: menu(permissions, current: .orders),
            statuses: [Option(value: "", label: "Any", selected: status.isEmpty)]
                + orderStatuses.map { Option(value: $0, label: PageViews.status($0), selected: $0 == status) },
            customer: customer, orders: rows, empty: rows.isEmpty,
            nextPage: page.nextCursor.map { QueryString.link("/admin/orders", filters + [("cursor", $0)]) }, formError: formError)
    }

    struct EventRow: Sendable {
        var version: Int
        var label: String
        var time: String
        var data: String
    }

    struct PaymentRow: Sendable {
        var id: String
        var status: String
        var amount: String
        var captured: String
        var refunded: String
        var failure: String?
        var refundable: Bool
        var action: String
        var amountID: String
        var reasonID: String
        var currency: String
    }

    struct OrderDetail: Sendable {
        var menu: [PageViews.Link]
        var id: String
        var status: String
        var customer: String
        var customerHref: String
        var lines: [PageViews.OrderLine]
        var total: String
        var refunded: String?
        var reason: String?
        var address: String
        var events: [EventRow]
        var payments: [PaymentRow]
        var hasPayments: Bool
        var canShip: Bool
        var canDeliver: Bool
        var canCancel: Bool
        var canRefund: Bool
        var idempotencyKey: String
        var formError: String?
        var notice: String?
    }

    static func orderDetail(
        _ order: APITypes.Order, events: [APITypes.OrderEvent], payments: [APITypes.Payment], permissions: Set<Permission>,
        idempotencyKey: String, formError: String? = nil, notice: String? = nil
    ) -> OrderDetail {
        let fulfil = permissions.contains(.ordersFulfil)
        let refund = permissions.contains(.paymentsRefund)
        return OrderDetail(
            menu: menu(permissions, current: .orders),
            id: order.id, status: PageViews.status(order.status), customer: order.userId ?? "",
            customerHref: order.userId.map { "/admin/users/\($0)" } ?? "",
            lines: (order.lines ?? []).map {
                PageViews.OrderLine(name: $0.productName ?? $0.sku, sku: $0.sku, quantity: $0.quantity, lineTotal: $0.lineTotal.map(PriceFormat.format) ?? "")
            },
            total: PriceFormat.format(order.total),
            refunded: order.refundedAmount.flatMap { $0.amount > 0 ? PriceFormat.format($0) : nil },
            reason: order.cancellationReason.map(FieldMessages.sentence),
            address: order.shippingAddress.map(addressText) ?? "",
            events: events.map { EventRow(version: $0.version, label: PageViews.eventLabel($0.type), time: PageViews.time($0.recordedAt), data: json($0.data)) },
            payments: payments.enumerated().map { index, payment in
                let refundable = ["captured", "partially_refunded"].contains(payment.status)
                return PaymentRow(
                    id: payment.id, status: PageViews.status(payment.status), amount: PriceFormat.format(payment.amount),
                    captured: payment.capturedAmount.map(PriceFormat.format) ?? "—", refunded: payment.refundedAmount.map(PriceFormat.format) ?? "—",
                    failure: payment.failureReason.map(FieldMessages.sentence), refundable: refund && refundable,
                    action: "/admin/orders/\(order.id)/refunds/\(payment.id)", amountID: "refund-amount-\(index)", reasonID: "refund-reason-\(index)",
                    currency: payment.amount.currency)
            },
            hasPayments: !payments.isEmpty,
            canShip: fulfil && order.status == "confirmed",
            canDeliver: fulfil && order.status == "shipped",
            canCancel: fulfil && ["pending", "stock_reserved", "payment_authorized", "confirmed"].contains(order.status),
            canRefund: refund, idempotencyKey: idempotencyKey, formError: formError, notice: notice)
    }

    static func addressText(_ address: PostalAddress) -> String {
        [address.line1, address.line2, address.city, address.region, address.postalCode, address.country].compactMap { $0 }.filter { !$0.isEmpty }
            .joined(separator: ", ")
    }

    /// An event's data as indented JSON, keys in order.
    static func json(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }

    // MARK: users

    struct UserRow: Sendable {
        var email: String
        var name: String
        var roles: String
        var href: String
        var joined: String
    }

    struct Users: Sendable {
        var menu: [PageViews.Link]
        var email: String
        var users: [UserRow]
        var empty: Bool
        var nextPage: String?
    }

    static func users(_ page: APITypes.Items<APITypes.Profile>, email: String, permissions: Set<Permission>) -> Users {
        let rows = page.items.map {
            UserRow(
                email: $0.email, name: $0.name ?? "", roles: $0.roles.joined(separator: ", "), href: "/admin/users/\($0.id)",
                joined: PageViews.time($0.createdAt))
        }
        return Users(
            menu: menu(permissions, current: .users), email: email, users: rows, empty: rows.isEmpty,
            nextPage: page.nextCursor.map { QueryString.link("/admin/users", [("cursor", $0)]) })
    }

    struct RoleOption: Sendable {
        var value: String
        var label: String
        var checked: Bool
        var inputID: String
    }

    struct UserDetail: Sendable {
        var menu: [PageViews.Link]
        var id: String
        var email: String
        var name: String
        var phone: String
        var roles: String
        var joined: String
        var roleOptions: [RoleOption]
        var canManageRoles: Bool
        var ordersHref: String?
        var formError: String?
        var notice: String?
    }

    static func userDetail(_ profile: APITypes.Profile, permissions: Set<Permission>, formError: String? = nil, notice: String? = nil) -> UserDetail {
        UserDetail(
            menu: menu(permissions, current: .users), id: profile.id, email: profile.email, name: profile.name ?? "—", phone: profile.phone ?? "—",
            roles: profile.roles.joined(separator: ", "), joined: PageViews.time(profile.createdAt),
            roleOptions: Role.allCases.map {
                RoleOption(value: $0.rawValue, label: PageViews.status($0.rawValue), checked: profile.roles.contains($0.rawValue), inputID: "role-\($0.rawValue)")
            },
            canManageRoles: permissions.contains(.usersManageRoles),
            ordersHref: permissions.contains(.ordersRead) ? QueryString.link("/admin/orders", [("customer", profile.id)]) : nil,
            formError: formError, notice: notice)
    }

    // MARK: audit

    struct AuditRow: Sendable {
        var sequence: Int64
        var at: String
        var actor: String
        var action: String
        var target: String
        var details: String
    }

    struct Audit: Sendable {
        var menu: [PageViews.Link]
        var entries: [AuditRow]
        var empty: Bool
        var nextPage: String?
    }

    static func audit(_ page: APITypes.Items<APITypes.AuditEntry>, permissions: Set<Permission>) -> Audit {
        let rows = page.items.map {
            AuditRow(
                sequence: $0.sequence, at: PageViews.time($0.at), actor: $0.actor, action: PageViews.status($0.action), target: $0.target,
                details: $0.details.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
        return Audit(
            menu: menu(permissions, current: .audit), entries: rows, empty: rows.isEmpty,
            nextPage: page.nextCursor.map { QueryString.link("/admin/audit", [("cursor", $0)]) })
    }
}
