import Foundation
import Synchronization

/// One line per step of the journey, written so that two runs against two deployments give the
/// same text when the shop behaved the same:
///
///     <step> | <METHOD> <path template> | <status> | <content type> | <JSON, normalised>
///
/// The JSON is written with its keys sorted, and what differs from run to run is replaced by a
/// placeholder: values the journey registered (the shopper's email, the guest cart's id:
/// `<shopper-email>`) and the opaque values of members named in `maskedMembers` (a refresh
/// token, a page's cursor: `<refresh-token-2>`), UUIDs (`<id-N>`, numbered by first appearance, so that the same id
/// is the same placeholder wherever it shows), JSON Web Tokens (`<jwt>`), times (`<time>`), other
/// email addresses (`<email>`), and the members a step names as varying (`<int>`, `<string>`…).
///
/// With `EMPORIUM_E2E_TRANSCRIPT` set, the file is rewritten after every step, so that a failed
/// run leaves the steps it made.
final class Transcript: Sendable {
    private struct State {
        var lines: [String] = []
        /// Literal values and their placeholders, longest first.
        var literals: [(value: String, placeholder: String)] = []
        var labels: [String: Int] = [:]
        var ids: [String: Int] = [:]
    }

    private let state = Mutex(State())
    let file: URL?
    /// Members whose string values are opaque and new on every run, with their placeholder.
    let maskedMembers: [String: String]

    init(file: URL?, maskedMembers: [String: String] = ["refreshToken": "refresh-token", "nextCursor": "cursor"]) {
        self.file = file
        self.maskedMembers = maskedMembers
    }

    /// Writes `value` as `<label>` wherever it appears from now on (a second value with the same
    /// label is `<label-2>`).
    func mask(_ value: String, as label: String) {
        guard !value.isEmpty else { return }
        state.withLock { state in
            guard !state.literals.contains(where: { $0.value == value }) else { return }
            let count = (state.labels[label] ?? 0) + 1
            state.labels[label] = count
            state.literals.append((value, count == 1 ? "<\(label)>" : "<\(label)-\(count)>"))
            state.literals.sort { $0.value.count > $1.value.count }
        }
    }

    /// Adds the line of a step.
    func record(step: String, request: String, status: String, contentType: String?, body: JSONValue?, varying: Set<String> = []) {
        let text: String
        if let body {
            text = normalise(body, varying: varying).canonical
        } else {
            text = "-"
        }
        let line = [step, request, status, contentType ?? "-", text].map { normalise($0) }.joined(separator: " | ")
        let lines = state.withLock { state in
            state.lines.append(line)
            return state.lines
        }
        if let file {
            try? (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        }
    }

    var lines: [String] { state.withLock { $0.lines } }

    // MARK: Normalising

    func normalise(_ value: JSONValue, varying: Set<String> = []) -> JSONValue {
        switch value {
        case .string(let text): return .string(normalise(text))
        case .array(let items): return .array(items.map { normalise($0, varying: varying) })
        case .object(let members):
            var result: [String: JSONValue] = [:]
            // In the order of the written text, so that ids are numbered in the order they show.
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let label = maskedMembers[key], let value = member.string { mask(value, as: label) }
                result[key] = varying.contains(key) ? Self.placeholder(for: member) : normalise(member, varying: varying)
            }
            return .object(result)
        default: return value
        }
    }

    func normalise(_ text: String) -> String {
        state.withLock { state in
            var text = text
            for (value, placeholder) in state.literals where text.contains(value) {
                text = text.replacingOccurrences(of: value, with: placeholder)
            }
            text = text.replacing(Self.jwt) { _ in "<jwt>" }
            text = text.replacing(Self.uuid) { match in
                let id = match.output.lowercased()
                if let number = state.ids[id] { return "<id-\(number)>" }
                let number = state.ids.count + 1
                state.ids[id] = number
                return "<id-\(number)>"
            }
            text = text.replacing(Self.time) { _ in "<time>" }
            text = text.replacing(Self.email) { _ in "<email>" }
            return text
        }
    }

    private static func placeholder(for value: JSONValue) -> JSONValue {
        switch value {
        case .null: .null
        case .bool: .string("<bool>")
        case .int: .string("<int>")
        case .double: .string("<number>")
        case .string: .string("<string>")
        case .array: .string("<array>")
        case .object: .string("<object>")
        }
    }

    nonisolated(unsafe) private static let uuid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
    nonisolated(unsafe) private static let jwt = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/
    nonisolated(unsafe) private static let time = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?/
    nonisolated(unsafe) private static let email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+/
}
