import EmporiumKit
import Foundation
import HTTPTypes
import Security

/// A user's profile as the users service keeps it (decrypted).
struct Profile: Sendable, Equatable {
    var id: String
    var email: String
    var name: String?
    var phone: String?
    var roles: [String]
    var createdAt: Date
    var updatedAt: Date
}

/// A postal address of a user.
struct Address: Codable, Sendable, Equatable {
    var id: String
    var line1: String
    var line2: String?
    var city: String
    var region: String?
    var postalCode: String
    /// ISO 3166-1 alpha-2, upper case.
    var country: String
}

/// Why the users store refused a change (the controller turns it into a problem).
enum UsersStoreError: Error, Equatable {
    /// The user has ``ProfileRules/maximumAddresses`` already.
    case addressLimitReached(limit: Int)
}

/// `PATCH /v1/users/me`: absent fields stay; an empty string clears `name` or `phone`.
struct ProfileChanges: StrictJSONBody {
    static let knownFields: Set<String> = ["name", "phone"]
    var name: String?
    var phone: String?
}

/// `POST /v1/users/me/addresses`.
struct NewAddress: StrictJSONBody {
    static let knownFields: Set<String> = ["line1", "line2", "city", "region", "postalCode", "country"]
    var line1: String
    var line2: String?
    var city: String
    var region: String?
    var postalCode: String
    var country: String
}

/// `PUT /v1/users/{id}/roles`.
struct RolesRequest: StrictJSONBody {
    static let knownFields: Set<String> = ["roles"]
    var roles: [String]
}

/// The rules of profile input, without I/O.
enum ProfileRules {
    static let maxNameLength = 200
    /// How many digits a phone number has.
    static let phoneDigits = 6...15
    /// The characters a phone number may hold.
    static let phoneCharacters = "+0123456789 ()-."
    static let maxLineLength = 200
    static let maxCityLength = 100
    static let maxRegionLength = 100
    static let maxPostalCodeLength = 20

    /// The most addresses one user may keep; adding another is a 422.
    static let maximumAddresses = 20

    /// The 422 for an address beyond ``maximumAddresses``.
    static let tooManyAddresses = ProblemDetails(
        type: ProblemDetails.typeBase + "address-limit", title: "The account has too many addresses.", status: .unprocessableContent,
        detail: "An account keeps at most \(maximumAddresses) addresses; delete one to add another.",
        errors: [.init(field: "addresses", detail: "at most \(maximumAddresses) per account")]
    )

    /// Trimmed changes, or a 400 naming each bad field.
    static func validate(_ changes: ProfileChanges) throws(ProblemDetails) -> ProfileChanges {
        var errors: [ProblemDetails.FieldError] = []
        var result = ProfileChanges()
        if let name = changes.name?.trimmingCharacters(in: .whitespacesAndNewlines) {
            if name.count > maxNameLength { errors.append(.init(field: "name", detail: "must have at most \(maxNameLength) characters")) }
            if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                errors.append(.init(field: "name", detail: "must not contain control characters"))
            }
            result.name = name
        }
        if let phone = changes.phone?.trimmingCharacters(in: .whitespacesAndNewlines) {
            let digits = phone.filter(\.isASCII).filter(\.isNumber)
            let allowed = phone.unicodeScalars.allSatisfy { phoneCharacters.unicodeScalars.contains($0) }
            if !phone.isEmpty, !allowed || !phoneDigits.contains(digits.count) || (phone.contains("+") && !phone.hasPrefix("+")) {
                errors.append(.init(field: "phone", detail: "must be a phone number such as +44 20 7946 0958 (6 to 15 digits)"))
            }
            result.phone = phone
        }
        guard errors.isEmpty else { throw .validation(errors) }
        return result
    }

    /// A trimmed address with an upper-case country code, or a 400 naming each bad field.
    static func validate(_ input: NewAddress, id: String) throws(ProblemDetails) -> Address {
        var errors: [ProblemDetails.FieldError] = []
        func text(_ value: String?, _ field: String, required: Bool, max: Int) -> String? {
            let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if trimmed.isEmpty {
                if required { errors.append(.init(field: field, detail: "must not be empty")) }
                return nil
            }
            if trimmed.count > max { errors.append(.init(field: field, detail: "must have at most \(max) characters")) }
            return trimmed
        }
        let line1 = text(input.line1, "line1", required: true, max: maxLineLength)
        let line2 = text(input.line2, "line2", required: false, max: maxLineLength)
        let city = text(input.city, "city", required: true, max: maxCityLength)
        let region = text(input.region, "region", required: false, max: maxRegionLength)
        let postalCode = text(input.postalCode, "postalCode", required: true, max: maxPostalCodeLength)
        // Letters checked before upper-casing: "ß" must not become "SS".
        let trimmedCountry = input.country.trimmingCharacters(in: .whitespaces)
        let country = trimmedCountry.uppercased()
        if trimmedCountry.unicodeScalars.count != 2
            || !trimmedCountry.unicodeScalars.allSatisfy({ ($0.value >= 65 && $0.value <= 90) || ($0.value >= 97 && $0.value <= 122) })
        {
            errors.append(.init(field: "country", detail: "must be an ISO 3166-1 alpha-2 code such as GB"))
        }
        guard errors.isEmpty, let line1, let city, let postalCode else { throw .validation(errors) }
        return Address(id: id, line1: line1, line2: line2, city: city, region: region, postalCode: postalCode, country: country)
    }

    /// The roles named, or a 400 naming the first unknown one.
    static func roles(_ request: RolesRequest) throws(ProblemDetails) -> [Role] {
        guard !request.roles.isEmpty else { throw .invalidField("roles", "must name at least one role") }
        var roles: [Role] = []
        for (index, name) in request.roles.enumerated() {
            guard let role = Role(rawValue: name) else {
                throw .invalidField("roles[\(index)]", "'\(name)' is not a role (roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles.sorted { $0.rawValue < $1.rawValue }
    }
}
