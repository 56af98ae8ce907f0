import HTTPTypes
import EmporiumCore
import Foundation
import EmporiumKit

/// An API's refusal (problem+json) as messages next to the form fields they are about.
///
/// A field error names a JSON path (`shippingAddress.postalCode`, `number`) or a parameter; the
/// message goes to the form field of the same last component (`postalCode`), or, for a path no
/// field of the form has, to the form as a whole. Without field errors, the problem's `detail`
/// (its `title` when there is none) is the form's message.
struct FieldMessages: Sendable, Equatable {
    var byField: [String: String] = [:]
    var form: String?

    init(byField: [String: String] = [:], form: String? = nil) {
        self.byField = byField
        self.form = form
    }

    /// The messages of `problem` for a form with `fields`; `rename` maps an API name to the
    /// form's when they differ (`number` → `cardNumber`).
    init(_ problem: ProblemDetails, fields: Set<String>, rename: [String: String] = [:]) {
        for error in problem.errors ?? [] {
            let path = error.field ?? error.parameter ?? ""
            let last = String(path.split(separator: ".").last ?? "")
            let name = rename[path] ?? rename[last] ?? last
            let message = Self.sentence(error.detail)
            if fields.contains(name), byField[name] == nil {
                byField[name] = message
            } else {
                form = [form, "\(path): \(message)"].compactMap { $0 }.joined(separator: " ")
            }
        }
        if byField.isEmpty, form == nil { form = problem.detail ?? problem.title }
    }

    var isEmpty: Bool { byField.isEmpty && form == nil }

    /// `must not be empty` as `Must not be empty.`
    static func sentence(_ detail: String) -> String {
        guard let first = detail.first else { return detail }
        let capitalised = first.uppercased() + detail.dropFirst()
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }
}
