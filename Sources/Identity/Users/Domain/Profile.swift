import EmporiumContracts
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
    static let knownFields = PostalAddress.knownFields
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

    /// A trimmed address with an upper-case country code, or a 400 naming each bad field
    /// (the platform's ``PostalAddressRules``, shared with orders' shipping addresses).
    static func validate(_ input: NewAddress, id: String) throws(ProblemDetails) -> Address {
        let address = try PostalAddressRules.validated(
            PostalAddress(line1: input.line1, line2: input.line2, city: input.city, region: input.region, postalCode: input.postalCode, country: input.country))
        return Address(
            id: id, line1: address.line1, line2: address.line2, city: address.city, region: address.region, postalCode: address.postalCode,
            country: address.country)
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
