import Crypto
import EmporiumCore
import Testing

@testable import Storefront

/// The storefront's rules without I/O: prices as shoppers read and type them, form tokens, where
/// a guest's form comes from.
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

    @Test("a guest's form post is from this shop when the browser says so: Sec-Fetch-Site first, else an Origin naming the host")
    func formOrigin() {
        let host = "shop.example:8080"
        #expect(FormOrigin.isSameOrigin(fetchSite: "same-origin", origin: nil, host: host))
        #expect(FormOrigin.isSameOrigin(fetchSite: "Same-Origin", origin: "https://elsewhere.example", host: host), "the fetch metadata decides")
        for site in ["same-site", "cross-site", "none", ""] {
            #expect(!FormOrigin.isSameOrigin(fetchSite: site, origin: "http://\(host)", host: host), "\(site)")
        }
        #expect(FormOrigin.isSameOrigin(fetchSite: nil, origin: "http://shop.example:8080", host: host))
        #expect(FormOrigin.isSameOrigin(fetchSite: nil, origin: "https://SHOP.example:8080", host: host))
        let refused: [(String?, String?)] = [
            (nil, host), ("null", host), ("http://elsewhere.example", host), ("http://shop.example", host),
            ("http://shop.example:8080/path", host), ("shop.example:8080", host), ("http://shop.example:8080", nil), ("http://shop.example:8080", ""),
        ]
        for (origin, host) in refused {
            #expect(!FormOrigin.isSameOrigin(fetchSite: nil, origin: origin, host: host), "\(origin ?? "no Origin") to \(host ?? "no host")")
        }
    }
}
