import Foundation
import EmporiumKit
import HTTPTypes

/// An `If-Match` precondition (RFC 9110 §13.1.1) on a product's version.
///
/// `*` matches any existing product; otherwise one of the listed entity tags must equal the
/// product's (strong comparison: a weak tag `W/"3"` never matches). Product tags are the version
/// in quotes: `"3"`.
public struct IfMatch: Sendable, Equatable {
    /// The tags listed, without quotes; nil for `*`.
    public var versions: [String]?

    /// The entity tag of a product version, as `ETag` carries it.
    public static func entityTag(version: Int64) -> String { "\"\(version)\"" }

    /// Parses a header value; nil when there is none.
    /// - Throws: a 400 naming the header for a value that is not `*` or a list of entity tags.
    public init?(header: String?) throws(ProblemDetails) {
        guard let header else { return nil }
        let value = header.trimmingCharacters(in: .whitespaces)
        if value == "*" {
            versions = nil
            return
        }
        var tags: [String] = []
        for part in value.split(separator: ",") {
            let tag = part.trimmingCharacters(in: .whitespaces)
            let weak = tag.hasPrefix("W/")
            let quoted = weak ? String(tag.dropFirst(2)) : tag
            guard quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") else {
                throw ProblemDetails(
                    type: ProblemDetails.typeBase + "validation", title: "Your request has invalid input.", status: .badRequest,
                    detail: "If-Match must be * or a list of entity tags such as \"3\" (as ETag returned them).",
                    errors: [.init(parameter: "If-Match", detail: "must be * or quoted entity tags")]
                )
            }
            if !weak { tags.append(String(quoted.dropFirst().dropLast())) }
        }
        versions = tags
    }

    /// Throws 412 when `version` does not satisfy the precondition.
    public func check(version: Int64) throws(ProblemDetails) {
        guard let versions else { return }
        guard versions.contains(String(version)) else {
            throw ProblemDetails(
                type: ProblemDetails.typeBase + "precondition-failed", title: "The resource has changed.", status: .preconditionFailed,
                detail: "If-Match does not match the current version \(IfMatch.entityTag(version: version)): read it again, then retry."
            )
        }
    }
}
