import HTTPTypes
import EmporiumKit
import Foundation
import EmporiumCore

/// Prices as a shopper reads them, per currency: the minor unit's digits from ISO 4217 (two for
/// USD, none for JPY, three for KWD), thousands grouped, and the currency's sign where it is
/// unambiguous (`$1,234.50`, `€12.00`, `¥1,200`), else its code after the number (`12.00 CHF`).
enum PriceFormat {
    /// Signs written before the amount.
    static let signs: [String: String] = ["USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"]

    static func format(_ money: Money) -> String {
        let digits = Currency.minorUnitDigits(of: money.currency)
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let magnitude = money.amount.magnitude
        let major = magnitude / UInt64(divisor)
        let minor = magnitude % UInt64(divisor)
        var number = grouped(major)
        if digits > 0 {
            let fraction = String(minor)
            number += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        let sign = money.amount < 0 ? "-" : ""
        if let symbol = signs[money.currency] { return sign + symbol + number }
        return sign + number + " " + money.currency
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let text = String(value)
        var result = ""
        for (index, character) in text.enumerated() {
            if index > 0, (text.count - index) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return result
    }

    /// A price typed into a form in major units (`12.5`, `12.50`, `12`) as minor units of
    /// `currency`, nil when it is not a non-negative number with at most the currency's decimals.
    static func minorUnits(_ text: String, currency: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = Currency.minorUnitDigits(of: currency)
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].count <= 12, parts[0].allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= digits, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else { return nil }
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let padded = fraction + String(repeating: "0", count: digits - fraction.count)
        return Int64(parts[0])! * divisor + (Int64(padded) ?? 0)
    }

    /// Minor units as the number a form shows (`1250` USD: `12.50`).
    static func majorText(_ amount: Int64, currency: String) -> String {
        let formatted = format(Money(amount: amount, currency: currency))
        return String(formatted.filter { $0.isASCIIDigit || $0 == "." })
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
