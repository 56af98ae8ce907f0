import HTTPTypes
import EmporiumKit
import EmporiumCore
import EmporiumContracts
import Foundation

/// The checkout form: a shipping address and a card, read from the posted fields into the
/// API's bodies, and shown again with the API's messages next to their fields.
enum CheckoutForm {
    /// A card as `POST /v1/payment-methods` takes it.
    struct Card: Encodable, Sendable {
        var number: String
        var expMonth: Int
        var expYear: Int
        var cvc: String
    }

    static let addressFieldNames: Set<String> = ["line1", "line2", "city", "region", "postalCode", "country"]
    static let cardFieldNames: Set<String> = ["cardNumber", "expMonth", "expYear", "cvc"]
    /// The API's names of fields the form names otherwise.
    static let apiNames = ["number": "cardNumber"]

    /// The address as the API takes it (the users service's shape, the contracts' ``PostalAddress``).
    static func address(_ form: FormData) -> PostalAddress {
        PostalAddress(
            line1: form.text("line1") ?? "", line2: form.text("line2"), city: form.text("city") ?? "", region: form.text("region"),
            postalCode: form.text("postalCode") ?? "", country: (form.text("country") ?? "").uppercased())
    }

    /// The card; spaces in the number are dropped, and a month or year that is not a number is
    /// sent as 0 (the API names it).
    static func card(_ form: FormData) -> Card {
        Card(
            number: (form["cardNumber"] ?? "").filter { !$0.isWhitespace && $0 != "-" }, expMonth: Int(form.text("expMonth") ?? "") ?? 0,
            expYear: Int(form.text("expYear") ?? "") ?? 0, cvc: form.text("cvc") ?? "")
    }

    static func view(cart: APITypes.Cart, form: FormData, messages: FieldMessages) -> PageViews.Checkout {
        func field(_ name: String, _ label: String, type: String = "text", autocomplete: String, required: Bool = true, hint: String? = nil)
            -> PageViews.Field
        {
            // The card number is never shown again.
            let value = name == "cardNumber" || name == "cvc" ? "" : form[name] ?? ""
            return PageViews.Field(
                name: name, label: label, type: type, value: value, error: messages.byField[name], autocomplete: autocomplete,
                required: required, hint: hint)
        }
        return PageViews.Checkout(
            lines: PageViews.cartLines(cart), total: PriceFormat.format(cart.total),
            addressFields: [
                field("line1", "Address", autocomplete: "address-line1"),
                field("line2", "Address line 2 (optional)", autocomplete: "address-line2", required: false),
                field("city", "City", autocomplete: "address-level2"),
                field("region", "Region (optional)", autocomplete: "address-level1", required: false),
                field("postalCode", "Postal code", autocomplete: "postal-code"),
                field("country", "Country (two letters, such as GB)", autocomplete: "country"),
            ],
            cardFields: [
                field("cardNumber", "Card number", type: "text", autocomplete: "cc-number", hint: "Test cards: 4242 4242 4242 4242 is accepted, 4000 0000 0000 0002 is declined."),
                field("expMonth", "Expiry month (1–12)", autocomplete: "cc-exp-month"),
                field("expYear", "Expiry year (such as 2030)", autocomplete: "cc-exp-year"),
                field("cvc", "Security code", autocomplete: "cc-csc"),
            ],
            idempotencyKey: form.text("idempotencyKey") ?? UUID().uuidString, formError: messages.form)
    }
}
