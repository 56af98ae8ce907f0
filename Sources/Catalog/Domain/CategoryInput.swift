import EmporiumKit
import Foundation

/// `POST /v1/categories`.
public struct NewCategory: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["slug", "name", "parentId"]
    public var slug: String
    public var name: String
    public var parentId: String?
}

/// `PATCH /v1/categories/{id}`: only the name changes (moving a category would change every
/// product's place in the tree; not supported).
public struct CategoryChanges: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["name"]
    public var name: String
}

/// The rules of category input, without I/O.
public enum CategoryRules {
    /// A valid new category (slug, trimmed name, parent id), or a 400 naming every bad field.
    public static func validate(_ input: NewCategory) throws(ProblemDetails) -> (slug: String, name: String, parentId: UUID?) {
        var errors: [ProblemDetails.FieldError] = []
        if !isValidSlug(input.slug) {
            errors.append(.init(field: "slug", detail: "must be 1-64 characters of a-z and 0-9 in words joined by single hyphens (mens-shoes)"))
        }
        let name = validName(input.name, &errors)
        var parentId: UUID?
        if let raw = input.parentId {
            parentId = UUID(uuidString: raw)
            if parentId == nil { errors.append(.init(field: "parentId", detail: "must be a UUID")) }
        }
        guard errors.isEmpty else { throw .validation(errors) }
        return (input.slug, name, parentId)
    }

    /// A valid new name, or a 400 naming `name`.
    public static func validate(_ changes: CategoryChanges) throws(ProblemDetails) -> String {
        var errors: [ProblemDetails.FieldError] = []
        let name = validName(changes.name, &errors)
        guard errors.isEmpty else { throw .validation(errors) }
        return name
    }

    static func validName(_ raw: String, _ errors: inout [ProblemDetails.FieldError]) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 100 { errors.append(.init(field: "name", detail: "must be 1-100 characters")) }
        return name
    }

    static func isValidSlug(_ slug: String) -> Bool {
        guard (1...64).contains(slug.count) else { return false }
        return slug.split(separator: "-", omittingEmptySubsequences: false).allSatisfy { word in
            !word.isEmpty && word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
    }
}
