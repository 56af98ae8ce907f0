import EmporiumKit
import Foundation
import Payments
import Testing

@Suite("Card rules")
struct CardRulesTests {
    /// 15 June 2026, noon UTC.
    static let now = Date(timeIntervalSince1970: 1_781_524_800)

    static func card(_ number: String = "4242424242424242", month: Int = 12, year: Int = 2030, cvc: String = "123") -> NewPaymentMethod {
        NewPaymentMethod(number: number, expMonth: month, expYear: year, cvc: cvc)
    }

    static func fields(_ problem: ProblemDetails) -> [String] {
        (problem.errors ?? []).compactMap(\.field)
    }

    @Test(arguments: [
        "4242424242424242", "4000000000000002", "4000000000009995", "5453010000095323", "4000000000000341",
        "378282246310005", "6011111111111117", "5555555555554444", "2223003122003222", "3566002020360505", "30569309025904",
        "4111111111111111", "79927398713",
    ])
    func luhnAcceptsPublishedTestNumbers(_ number: String) {
        #expect(CardRules.passesLuhn(number))
    }

    @Test(arguments: ["4242424242424241", "4000000000000003", "79927398710", "1234567812345678", "", "42424242a4242424"])
    func luhnRefusesWrongCheckDigits(_ number: String) {
        #expect(!CardRules.passesLuhn(number))
    }

    @Test func brandsFromTheNumber() {
        let cases: [(String, CardBrand)] = [
            ("4242424242424242", .visa), ("5555555555554444", .mastercard), ("2223003122003222", .mastercard),
            ("378282246310005", .amex), ("371449635398431", .amex), ("6011111111111117", .discover), ("6500000000000002", .discover),
            ("6445644564456445", .discover), ("3566002020360505", .jcb), ("30569309025904", .diners), ("36227206271667", .diners),
            ("6200000000000005", .unionpay), ("9999999999999995", .unknown), ("2720990000000007", .mastercard), ("2721000000000004", .unknown),
        ]
        for (number, brand) in cases {
            #expect(CardBrand.detect(number) == brand, "\(number)")
        }
    }

    @Test func validCardKeepsWhatTheVaultNeeds() throws {
        let card = try CardRules.validate(Self.card(), now: Self.now)
        #expect(card.brand == .visa)
        #expect(card.last4 == "4242")
        #expect(card.expMonth == 12 && card.expYear == 2030)
        // The description and mirror show no more than the last four digits.
        for text in ["\(card)", String(reflecting: card), "\(Self.card())", String(reflecting: Self.card())] {
            #expect(!text.contains("424242424242"), "\(text)")
        }
        #expect(!"\(Mirror(reflecting: Self.card()).children.map { "\($0.value)" })".contains("123"), "the CVC is not mirrored")
    }

    @Test func malformedFieldsAre400sNamingEach() {
        let bad = [
            (Self.card("4242 4242 4242 4242"), "number"), (Self.card("42424242424"), "number"), (Self.card(String(repeating: "4", count: 20)), "number"),
            (Self.card(month: 0), "expMonth"), (Self.card(month: 13), "expMonth"), (Self.card(year: 1999), "expYear"),
            (Self.card(year: 2200), "expYear"), (Self.card(cvc: "12"), "cvc"), (Self.card(cvc: "12345"), "cvc"), (Self.card(cvc: "12a"), "cvc"),
        ]
        for (body, field) in bad {
            do {
                _ = try CardRules.validate(body, now: Self.now)
                Issue.record("\(field) accepted")
            } catch {
                #expect(error.status == 400, "\(field)")
                #expect(Self.fields(error).contains(field), "\(field): \(error)")
            }
        }
        // Every bad field at once.
        do {
            _ = try CardRules.validate(Self.card("12", month: 13, year: 3000, cvc: "x"), now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(Set(Self.fields(error)) == ["number", "expMonth", "expYear", "cvc"])
        }
    }

    @Test func rulesTheDocumentCannotStateAre422s() {
        let cases = [
            (Self.card("4242424242424241"), "number"),
            (Self.card(month: 12, year: 2025), "expYear"),
            (Self.card(month: 5, year: 2026), "expMonth"),
            (Self.card(month: 1, year: 2047), "expYear"),
        ]
        for (body, field) in cases {
            do {
                _ = try CardRules.validate(body, now: Self.now)
                Issue.record("\(field) accepted")
            } catch {
                #expect(error.status == 422, "\(field)")
                #expect(Self.fields(error) == [field], "\(error)")
            }
        }
        // A card is good through the end of its month, and up to 20 years ahead.
        #expect((try? CardRules.validate(Self.card(month: 6, year: 2026), now: Self.now)) != nil)
        #expect((try? CardRules.validate(Self.card(month: 12, year: 2046), now: Self.now)) != nil)
    }

    @Test func problemsNeverRepeatTheNumberOrCVC() {
        for body in [Self.card("4242424242424241", cvc: "9876"), Self.card("4242424242424242", year: 2020, cvc: "98a")] {
            do {
                _ = try CardRules.validate(body, now: Self.now)
            } catch {
                let text = String(decoding: (try? JSONEncoder().encode(error)) ?? Data(), as: UTF8.self)
                #expect(!text.contains("42424242"))
                #expect(!text.contains("9876") && !text.contains("98a"))
            }
        }
    }
}
