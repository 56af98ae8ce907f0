public import EmporiumKit

/// What a stock-keeping unit looks like, the same for every service that names one (the catalog
/// that creates it, the cart, the inventory, orders).
public enum SKU {
    /// The longest SKU, in characters.
    public static let maximumLength = 64
    /// The rule as an OpenAPI/ECMAScript pattern.
    public static let pattern = "^[A-Z0-9][A-Z0-9-]{0,63}$"
    /// The rule in words, for a field error.
    public static let rule = "must be 1-64 characters of A-Z, 0-9 and '-', starting with a letter or digit"

    /// Whether `sku` follows ``pattern``.
    public static func isValid(_ sku: String) -> Bool {
        guard let first = sku.utf8.first, (1...maximumLength).contains(sku.utf8.count) else { return false }
        func allowed(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) }
        return allowed(first) && sku.utf8.allSatisfy { allowed($0) || $0 == 0x2D }
    }

    /// Checks a list of SKUs in a request body: 1 to `maximum` entries, each valid.
    /// - Throws: a 400 ``ProblemDetails`` naming the list or each bad entry (`skus[3]`).
    public static func validateList(_ skus: [String], field: String, maximum: Int) throws(ProblemDetails) {
        guard !skus.isEmpty, skus.count <= maximum else {
            throw .invalidField(field, "must list 1 to \(maximum) SKUs")
        }
        let errors = skus.enumerated().filter { !isValid($0.element) }.map { ProblemDetails.FieldError(field: "\(field)[\($0.offset)]", detail: rule) }
        if !errors.isEmpty { throw .validation(errors) }
    }
}
