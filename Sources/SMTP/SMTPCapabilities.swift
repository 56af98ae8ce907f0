/// What a server announced in its reply to `EHLO`: the extensions it supports, with their
/// parameters (`SIZE 35882577`, `AUTH PLAIN LOGIN`, `STARTTLS`...).
///
/// After `HELO` (a server that does not know `EHLO`) there are none.
public struct SMTPCapabilities: Sendable, Hashable {
    /// Upper-cased extension keyword → its parameters, as sent.
    public private(set) var extensions: [String: [String]]

    /// No extensions: a server greeted with `HELO`.
    public init() {
        self.extensions = [:]
    }

    /// Reads the lines of a `250` reply to `EHLO`. The first line is the server's greeting and
    /// names no extension; each further line is a keyword and its parameters.
    public init(ehloReply: SMTPReply) {
        var extensions: [String: [String]] = [:]
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first else { continue }
            var name = keyword.uppercased()
            var parameters = words.dropFirst().map(String.init)
            // Old servers announce `AUTH=PLAIN LOGIN` next to (or instead of) `AUTH PLAIN LOGIN`.
            if name.hasPrefix("AUTH=") {
                parameters.insert(String(name.dropFirst(5)), at: 0)
                name = "AUTH"
            }
            extensions[name, default: []].append(contentsOf: parameters)
        }
        self.extensions = extensions
    }

    /// Whether the server announced `keyword` (case does not matter).
    public func supports(_ keyword: String) -> Bool {
        self.extensions[keyword.uppercased()] != nil
    }

    /// Whether the server offers `STARTTLS`.
    public var supportsStartTLS: Bool { self.supports("STARTTLS") }

    /// The upper-cased SASL mechanisms announced with `AUTH`.
    public var authenticationMechanisms: Set<String> {
        Set((self.extensions["AUTH"] ?? []).map { $0.uppercased() })
    }

    /// The largest message the server accepts, in bytes, when it announced `SIZE` with a limit
    /// (`SIZE 0` or no number means no fixed limit).
    public var maximumMessageSize: Int? {
        guard let value = self.extensions["SIZE"]?.first.flatMap({ Int($0) }), value > 0 else { return nil }
        return value
    }
}
