/// An amount of money in minor units (cents) of an ISO 4217 currency.
public struct Money: Sendable, Codable, Hashable {
    /// The amount in the currency's minor unit (1999 = 19.99 USD).
    public var amount: Int64
    /// The ISO 4217 code, upper case (`USD`).
    public var currency: String

    public init(amount: Int64, currency: String) {
        self.amount = amount
        self.currency = currency
    }
}

/// ISO 4217 currency codes in circulation.
public enum Currency {
    /// Every active ISO 4217 alphabetic code (funds and precious metals excluded).
    public static let codes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
        "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY",
        "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
        "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
        "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
        "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
        "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
        "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
        "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
        "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD",
        "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
    ]

    /// Whether `code` is an active ISO 4217 code (case-sensitive: codes are upper case).
    public static func isValid(_ code: String) -> Bool {
        codes.contains(code)
    }

    /// The codes whose amounts have no minor unit (ISO 4217 exponent 0): 1 is one yen.
    public static let withoutMinorUnits: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    ]

    /// The codes whose minor unit is a thousandth (ISO 4217 exponent 3).
    public static let withThousandths: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    /// How many decimals the minor unit of `code` has: 0, 3, or else 2.
    public static func minorUnitDigits(of code: String) -> Int {
        withoutMinorUnits.contains(code) ? 0 : withThousandths.contains(code) ? 3 : 2
    }
}

extension Money {
    /// The amount in the currency's major unit (1999 USD cents: 19.99), as a double: for sums
    /// that are only read (metrics), never for arithmetic on money.
    public var majorUnits: Double {
        var divisor = 1.0
        for _ in 0..<Currency.minorUnitDigits(of: currency) { divisor *= 10 }
        return Double(amount) / divisor
    }
}
