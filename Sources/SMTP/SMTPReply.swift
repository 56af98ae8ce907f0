/// One reply of an SMTP server: a three-digit code and one or more lines of text.
///
/// A multi-line reply (`250-first`, `250-second`, `250 last`) arrives as one value whose
/// ``lines`` hold the text of each line without the code and separator.
///
/// The first digit says how the command went (RFC 5321, section 4.2.1):
/// `2` done, `3` go on (send the next part), `4` failed for now (try again later),
/// `5` failed for good.
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// What the first digit of a reply code means.
    public enum Category: Sendable, Hashable {
        /// `2xx`: the command succeeded.
        case positiveCompletion
        /// `3xx`: the command was accepted and the server waits for more (after `DATA`, `AUTH`).
        case positiveIntermediate
        /// `4xx`: the command failed, but the same command may succeed later.
        case transientNegative
        /// `5xx`: the command failed and repeating it will not help.
        case permanentNegative
    }

    /// The reply code, from 200 to 599 (the parser accepts nothing else).
    public var code: Int
    /// The text of each line, without the code and the `-` or space after it.
    public var lines: [String]

    /// Creates a reply from its parts.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// Creates a one-line reply.
    public init(code: Int, _ text: String) {
        self.init(code: code, lines: [text])
    }

    /// What the code's first digit means.
    public var category: Category {
        switch self.code / 100 {
        case 2: return .positiveCompletion
        case 3: return .positiveIntermediate
        case 4: return .transientNegative
        default: return .permanentNegative
        }
    }

    /// Whether the command succeeded (`2xx`).
    public var isPositiveCompletion: Bool { self.category == .positiveCompletion }

    /// Whether the failure is temporary (`4xx`), so the same command may succeed later.
    public var isTransientFailure: Bool { self.category == .transientNegative }

    /// Whether the failure is permanent (`5xx`).
    public var isPermanentFailure: Bool { self.category == .permanentNegative }

    /// All lines joined with a space.
    public var text: String { self.lines.joined(separator: " ") }

    /// The enhanced status code (RFC 3463) that starts the first line, such as `5.7.8`, if any.
    public var enhancedStatusCode: String? {
        guard let first = self.lines.first else { return nil }
        let word = first.prefix(while: { $0 != " " })
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let klass = parts[0].first, "245".contains(klass), parts[0].count == 1,
            parts[1...].allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        return String(word)
    }

    /// `250 text`, with the lines joined by ` / ` when there are several.
    public var description: String {
        "\(self.code) \(self.lines.joined(separator: " / "))"
    }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
