public import EmporiumKit
import Foundation

/// A postal address as every service takes it: the users service's saved addresses and an
/// order's shipping address (`line1`, `line2`?, `city`, `region`?, `postalCode`, `country`).
public struct PostalAddress: Codable, Sendable, Equatable {
    public var line1: String
    public var line2: String?
    public var city: String
    public var region: String?
    public var postalCode: String
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String

    /// The members a JSON address may have.
    public static let knownFields: Set<String> = ["line1", "line2", "city", "region", "postalCode", "country"]

    public init(line1: String, line2: String? = nil, city: String, region: String? = nil, postalCode: String, country: String) {
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
    }
}

/// The rules of an address, without I/O.
public enum PostalAddressRules {
    public static let maxLineLength = 200
    public static let maxCityLength = 100
    public static let maxRegionLength = 100
    public static let maxPostalCodeLength = 20

    /// The JSON Schema of an address as the API takes it, stating these rules.
    public static let openAPISchema = """
        {"type": "object", "required": ["line1", "city", "postalCode", "country"], "additionalProperties": false, "properties": {
          "line1": \(OpenAPISchema.text(maxLength: maxLineLength, nonBlank: true)),
          "line2": \(OpenAPISchema.text(maxLength: maxLineLength, description: "Blank leaves it out.")),
          "city": \(OpenAPISchema.text(maxLength: maxCityLength, nonBlank: true)),
          "region": \(OpenAPISchema.text(maxLength: maxRegionLength, description: "Blank leaves it out.")),
          "postalCode": \(OpenAPISchema.text(maxLength: maxPostalCodeLength, nonBlank: true)),
          "country": \(OpenAPISchema.string(pattern: "^[A-Za-z]{2}$", description: "ISO 3166-1 alpha-2; stored in upper case."))}}
        """

    /// `address` trimmed, empty optional lines dropped and the country upper-cased; or a 400
    /// naming each bad field, as `<fieldPrefix>line1` (`shippingAddress.line1`).
    public static func validated(_ address: PostalAddress, fieldPrefix: String = "") throws(ProblemDetails) -> PostalAddress {
        var errors: [ProblemDetails.FieldError] = []
        func text(_ value: String?, _ field: String, required: Bool, max: Int) -> String? {
            let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if trimmed.isEmpty {
                if required { errors.append(.init(field: fieldPrefix + field, detail: "must not be empty")) }
                return nil
            }
            if trimmed.count > max { errors.append(.init(field: fieldPrefix + field, detail: "must have at most \(max) characters")) }
            if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                errors.append(.init(field: fieldPrefix + field, detail: "must not contain control characters"))
            }
            return trimmed
        }
        let line1 = text(address.line1, "line1", required: true, max: maxLineLength)
        let line2 = text(address.line2, "line2", required: false, max: maxLineLength)
        let city = text(address.city, "city", required: true, max: maxCityLength)
        let region = text(address.region, "region", required: false, max: maxRegionLength)
        let postalCode = text(address.postalCode, "postalCode", required: true, max: maxPostalCodeLength)
        // Letters checked before upper-casing: "ß" must not become "SS".
        let trimmedCountry = address.country.trimmingCharacters(in: .whitespaces)
        if trimmedCountry.unicodeScalars.count != 2
            || !trimmedCountry.unicodeScalars.allSatisfy({ ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122) })
        {
            errors.append(.init(field: fieldPrefix + "country", detail: "must be an ISO 3166-1 alpha-2 code such as GB"))
        }
        guard errors.isEmpty, let line1, let city, let postalCode else { throw .validation(errors) }
        return PostalAddress(line1: line1, line2: line2, city: city, region: region, postalCode: postalCode, country: trimmedCountry.uppercased())
    }
}
