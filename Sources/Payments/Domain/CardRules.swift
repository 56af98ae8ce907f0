import EmporiumKit
import Foundation

/// A card brand, detected from the number's leading digits (its issuer identification range).
public enum CardBrand: String, Codable, Sendable, CaseIterable {
    case visa
    case mastercard
    case amex
    case discover
    case diners
    case jcb
    case unionpay
    /// No range above matches; the card is still accepted (the processor decides).
    case unknown

    /// The brand of a number made of digits.
    public static func detect(_ number: String) -> CardBrand {
        func prefix(_ length: Int) -> Int? { number.count >= length ? Int(number.prefix(length)) : nil }
        if let two = prefix(2), two == 34 || two == 37 { return .amex }
        if number.hasPrefix("4") { return .visa }
        if let two = prefix(2), (51...55).contains(two) { return .mastercard }
        if let four = prefix(4), (2221...2720).contains(four) { return .mastercard }
        if let four = prefix(4), (3528...3589).contains(four) { return .jcb }
        if let three = prefix(3), (300...305).contains(three) { return .diners }
        if let two = prefix(2), [36, 38, 39].contains(two) { return .diners }
        if number.hasPrefix("6011") || number.hasPrefix("65") { return .discover }
        if let three = prefix(3), (644...649).contains(three) { return .discover }
        if number.hasPrefix("62") { return .unionpay }
        return .unknown
    }
}

/// A card as the vault keeps it, checked: the number (digits only), its expiry and brand. The
/// CVC is checked and dropped: it is never part of this value.
///
/// Its description shows the last four digits only, so interpolating one into a log line or an
/// error cannot leak the number.
public struct ValidCard: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let number: String
    public let expMonth: Int
    public let expYear: Int
    public let brand: CardBrand

    public init(number: String, expMonth: Int, expYear: Int, brand: CardBrand) {
        self.number = number
        self.expMonth = expMonth
        self.expYear = expYear
        self.brand = brand
    }

    public var last4: String { String(number.suffix(4)) }
    public var description: String { "\(brand.rawValue) card ending \(last4)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["brand": brand, "last4": last4, "expMonth": expMonth, "expYear": expYear]) }
}

/// The body of `POST /v1/payment-methods`: `{"number", "expMonth", "expYear", "cvc"}`.
public struct NewPaymentMethod: StrictJSONBody, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let knownFields: Set<String> = ["number", "expMonth", "expYear", "cvc"]
    public var number: String
    public var expMonth: Int
    public var expYear: Int
    public var cvc: String

    public init(number: String, expMonth: Int, expYear: Int, cvc: String) {
        self.number = number
        self.expMonth = expMonth
        self.expYear = expYear
        self.cvc = cvc
    }

    public var description: String { "new card ending \(number.suffix(4))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["last4": String(number.suffix(4))]) }
}

/// The rules of a card, without I/O. What the OpenAPI document can state (digits and lengths,
/// month and year ranges) is a 400 naming the field; what it cannot (the Luhn check digit, an
/// expiry in the past or too far ahead, which depend on the number's arithmetic and on today)
/// is a 422 naming the field. Problems never repeat the number or the CVC.
public enum CardRules {
    /// How many digits a card number has.
    public static let numberDigits = 12...19
    /// How many digits a CVC has.
    public static let cvcDigits = 3...4
    /// The years the document accepts for `expYear` (a 4-digit year).
    public static let yearRange = 2000...2199
    /// How many years ahead an expiry may be.
    public static let maximumYearsAhead = 20
    /// The most payment methods one user keeps; another is a 422.
    public static let defaultMaximumPerUser = 20

    public static let numberPattern = "^[0-9]{\(numberDigits.lowerBound),\(numberDigits.upperBound)}$"
    public static let cvcPattern = "^[0-9]{\(cvcDigits.lowerBound),\(cvcDigits.upperBound)}$"

    /// The card of `body`, checked against today (`now`, UTC).
    /// - Throws: a 400 naming each field that breaks the document, else a 422 naming each that
    ///   breaks a rule it cannot state.
    public static func validate(_ body: NewPaymentMethod, now: Date) throws(ProblemDetails) -> ValidCard {
        var invalid: [ProblemDetails.FieldError] = []
        var unprocessable: [ProblemDetails.FieldError] = []
        let numberIsWellFormed = isDigits(body.number, count: numberDigits)
        if !numberIsWellFormed {
            invalid.append(.init(field: "number", detail: "must be \(numberDigits.lowerBound) to \(numberDigits.upperBound) digits, without spaces"))
        } else if !passesLuhn(body.number) {
            unprocessable.append(.init(field: "number", detail: "is not a valid card number (its check digit is wrong)"))
        }
        if !(1...12).contains(body.expMonth) {
            invalid.append(.init(field: "expMonth", detail: "must be from 1 to 12"))
        }
        if !yearRange.contains(body.expYear) {
            invalid.append(.init(field: "expYear", detail: "must be a year from \(yearRange.lowerBound) to \(yearRange.upperBound)"))
        }
        if !isDigits(body.cvc, count: cvcDigits) {
            invalid.append(.init(field: "cvc", detail: "must be \(cvcDigits.lowerBound) or \(cvcDigits.upperBound) digits"))
        }
        if (1...12).contains(body.expMonth), yearRange.contains(body.expYear),
            let problem = expiryProblem(month: body.expMonth, year: body.expYear, now: now)
        {
            unprocessable.append(problem)
        }
        try ProblemDetails.throwIfAny(invalid: invalid, unprocessable: unprocessable)
        return ValidCard(number: body.number, expMonth: body.expMonth, expYear: body.expYear, brand: CardBrand.detect(body.number))
    }

    /// Whether `number` (digits) passes the Luhn check: from the right, every second digit
    /// doubled (less 9 when over 9), and the sum a multiple of 10.
    public static func passesLuhn(_ number: String) -> Bool {
        var sum = 0
        for (index, character) in number.reversed().enumerated() {
            guard let digit = character.wholeNumberValue, character.isASCII else { return false }
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return !number.isEmpty && sum % 10 == 0
    }

    /// Why an expiry is refused (a card is good through the last day of its month, UTC), or nil.
    public static func expiryProblem(month: Int, year: Int, now: Date) -> ProblemDetails.FieldError? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = calendar.dateComponents([.year, .month], from: now)
        guard let currentYear = today.year, let currentMonth = today.month else { return nil }
        if year < currentYear {
            return .init(field: "expYear", detail: "the card expired in \(year)")
        }
        if year == currentYear && month < currentMonth {
            return .init(field: "expMonth", detail: "the card expired at the end of month \(month) of \(year)")
        }
        if year > currentYear + maximumYearsAhead {
            return .init(field: "expYear", detail: "must be at most \(maximumYearsAhead) years ahead")
        }
        return nil
    }

    static func isDigits(_ text: String, count: ClosedRange<Int>) -> Bool {
        count.contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}
