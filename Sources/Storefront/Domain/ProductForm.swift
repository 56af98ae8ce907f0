import EmporiumCore
import Foundation

/// The back office's product form (create and edit): its fields as typed, checked into the body
/// of `POST /v1/products` or `PATCH /v1/products/{id}` without I/O.
///
/// Variants are rows of three fields, `sku.N`, `attributes.N` (`colour=red, size=M`) and
/// `price.N` (in major units of ``currency``: `24.99`); a row left blank is no variant. What
/// the API refuses about `variants[i]` is shown next to the row it came from.
struct ProductForm: Sendable, Equatable {
    struct Row: Sendable, Equatable {
        var sku = ""
        var attributes = ""
        var price = ""

        var isBlank: Bool { sku.isEmpty && attributes.isEmpty && price.isEmpty }
    }

    /// The most variant rows a form has.
    static let maximumRows = 50
    static let statuses = ["draft", "active", "archived"]

    var name = ""
    var description = ""
    var categoryId = ""
    var status = "draft"
    /// The currency of every price of the product.
    var currency: String
    var rows: [Row] = []

    init(currency: String) {
        self.currency = currency
    }

    /// The form of a stored product, with `blankRows` empty rows to add variants.
    init(_ product: APITypes.Product, blankRows: Int = 1) {
        name = product.name
        description = product.description
        categoryId = product.categoryId
        status = product.status ?? "active"
        currency = product.variants.first?.price.currency ?? "USD"
        rows = product.variants.map {
            Row(sku: $0.sku, attributes: Self.attributesText($0.attributes), price: PriceFormat.majorText($0.price.amount, currency: $0.price.currency))
        }
        rows += Array(repeating: Row(), count: blankRows)
    }

    /// The form as posted; `fallbackCurrency` when it names none (or an unknown one).
    init(_ form: FormData, fallbackCurrency: String) {
        name = form.text("name") ?? ""
        description = form.text("description") ?? ""
        categoryId = form.text("categoryId") ?? ""
        status = form.text("status") ?? "draft"
        currency = form.text("currency").flatMap { Currency.isValid($0) ? $0 : nil } ?? fallbackCurrency
        var index = 0
        while index < Self.maximumRows, form["sku.\(index)"] != nil || form["price.\(index)"] != nil || form["attributes.\(index)"] != nil {
            rows.append(Row(sku: form.text("sku.\(index)") ?? "", attributes: form.text("attributes.\(index)") ?? "", price: form.text("price.\(index)") ?? ""))
            index += 1
        }
    }

    /// The API body of the form, or the messages of the fields that cannot make one. Also the
    /// row of each variant of the body (`variants[i]` came from row `rowOfVariant[i]`).
    func body() -> (body: ProductBody?, messages: FieldMessages, rowOfVariant: [Int]) {
        var messages = FieldMessages()
        var variants: [ProductBody.Variant] = []
        var rowOfVariant: [Int] = []
        for (index, row) in rows.enumerated() where !row.isBlank {
            let attributes = Self.attributes(row.attributes)
            if attributes == nil { messages.byField["attributes.\(index)"] = "Write attributes as name=value, separated by commas." }
            let amount = PriceFormat.minorUnits(row.price, currency: currency)
            if amount == nil { messages.byField["price.\(index)"] = "Enter a price such as \(PriceFormat.majorText(2499, currency: currency))." }
            if row.sku.isEmpty { messages.byField["sku.\(index)"] = "Enter the variant's SKU." }
            if let attributes, let amount, !row.sku.isEmpty {
                variants.append(.init(sku: row.sku, attributes: attributes, price: Money(amount: amount, currency: currency)))
                rowOfVariant.append(index)
            }
        }
        if variants.isEmpty, messages.isEmpty { messages.form = "A product needs at least one variant: fill in a row." }
        guard messages.isEmpty else { return (nil, messages, []) }
        return (ProductBody(name: name, description: description, categoryId: categoryId, status: status, variants: variants), messages, rowOfVariant)
    }

    /// The API's field names as this form's (`variants[1].price.amount` → `price.3` when the
    /// second variant came from the fourth row).
    static func apiNames(rowOfVariant: [Int]) -> [String: String] {
        var names: [String: String] = [:]
        for (variant, row) in rowOfVariant.enumerated() {
            for field in ["sku", "attributes", "price"] { names["variants[\(variant)].\(field)"] = "\(field).\(row)" }
            for part in ["amount", "currency"] { names["variants[\(variant)].price.\(part)"] = "price.\(row)" }
        }
        return names
    }

    /// Every field name of the form, for ``FieldMessages``.
    var fieldNames: Set<String> {
        var names: Set<String> = ["name", "description", "categoryId", "status"]
        for index in rows.indices { names.formUnion(["sku.\(index)", "attributes.\(index)", "price.\(index)"]) }
        return names
    }

    /// `colour=red, size=M` as `["colour": "red", "size": "M"]`; nil when a part is not `name=value`
    /// or names one attribute twice. Empty text is no attributes.
    static func attributes(_ text: String) -> [String: String]? {
        var attributes: [String: String] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            let name = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !value.isEmpty, attributes[name] == nil else { return nil }
            attributes[name] = value
        }
        return attributes
    }

    /// The attributes as the form shows them, names in order.
    static func attributesText(_ attributes: [String: String]) -> String {
        attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}

/// The body of `POST /v1/products` and `PATCH /v1/products/{id}`.
struct ProductBody: Encodable, Sendable, Equatable {
    struct Variant: Encodable, Sendable, Equatable {
        var sku: String
        var attributes: [String: String]
        var price: Money
    }

    var name: String
    var description: String
    var categoryId: String
    var status: String
    var variants: [Variant]
}
