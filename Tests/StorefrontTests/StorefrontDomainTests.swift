import Crypto
import EmporiumCore
import Testing

@testable import Storefront

/// The storefront's rules without I/O: prices as shoppers read and type them, form tokens.
@Suite("Storefront domain")
struct StorefrontDomainTests {
    @Test("prices per currency: its minor digits, thousands grouped, its sign or code", arguments: [
        (Money(amount: 123_450, currency: "USD"), "$1,234.50"),
        (Money(amount: 1_250, currency: "EUR"), "€12.50"),
        (Money(amount: 5, currency: "GBP"), "£0.05"),
        (Money(amount: 1_200, currency: "JPY"), "¥1,200"),
        (Money(amount: 12_345, currency: "KWD"), "12.345 KWD"),
        (Money(amount: 1_000_000_00, currency: "CHF"), "1,000,000.00 CHF"),
        (Money(amount: -250, currency: "USD"), "-$2.50"),
    ])
    func formats(money: Money, expected: String) {
        #expect(PriceFormat.format(money) == expected)
    }

    @Test("a typed price in major units becomes minor units; anything else is refused")
    func typedPrices() {
        #expect(PriceFormat.minorUnits("12.5", currency: "USD") == 1_250)
        #expect(PriceFormat.minorUnits(" 12.50 ", currency: "USD") == 1_250)
        #expect(PriceFormat.minorUnits("12", currency: "USD") == 1_200)
        #expect(PriceFormat.minorUnits("1200", currency: "JPY") == 1_200)
        for refused in ["", "-1", "12.", ".5", "12.345", "1e3", "12,50", "abc", "1.5", "9999999999999"] {
            let currency = refused == "1.5" ? "JPY" : "USD"
            #expect(PriceFormat.minorUnits(refused, currency: currency) == nil, "\(refused) \(currency)")
        }
        #expect(PriceFormat.majorText(1_250, currency: "USD").contains("12.50"))
    }

    @Test("a form token is valid for its session only, and never without one")
    func formTokens() {
        let tokens = CSRFTokens(key: SymmetricKey(size: .bits256))
        let session = SessionID.generate()
        let other = SessionID.generate()
        let token = tokens.token(for: session)
        #expect(SessionID.isWellFormed(session) && session != other)
        #expect(tokens.isValid(token, session: session))
        #expect(!tokens.isValid(token, session: other), "another session's token")
        #expect(!tokens.isValid(nil, session: session) && !tokens.isValid(token, session: nil))
        #expect(!tokens.isValid(token + "A", session: session) && !tokens.isValid("", session: session))
        #expect(!CSRFTokens(key: SymmetricKey(size: .bits256)).isValid(token, session: session), "another key's token")
        #expect(!tokens.isValid(tokens.token(for: "short"), session: "short"), "a malformed session id")
    }
}
