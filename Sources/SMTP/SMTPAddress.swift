/// A mailbox: an address and, for headers, an optional display name.
///
/// ```swift
/// let from = SMTPAddress("orders@shop.example", name: "Emporium")
/// let to: SMTPAddress = "ada@example.com"
/// ```
///
/// Addresses are ASCII `local@domain` (no quoted local parts, no SMTPUTF8); ``validate()``
/// checks that before anything is sent.
public struct SMTPAddress: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The address, `local@domain`.
    public var address: String
    /// The display name shown in `From`, `To` and `Cc`; any text, non-ASCII included.
    public var name: String?

    /// Creates a mailbox.
    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Creates a mailbox without a display name from a literal address.
    public init(stringLiteral address: String) {
        self.init(address)
    }

    /// The part after the `@`.
    public var domain: Substring {
        guard let at = self.address.lastIndex(of: "@") else { return "" }
        return self.address[self.address.index(after: at)...]
    }

    /// `Name <address>`, or the address alone.
    public var description: String {
        guard let name = self.name, !name.isEmpty else { return self.address }
        return "\(name) <\(self.address)>"
    }

    /// The longest address SMTP can carry in a path (RFC 5321, section 4.5.3.1.3, less the brackets).
    static let maximumLength = 254

    /// Throws unless the address is `local@domain` made of printable ASCII that needs no
    /// quoting, and the display name has no line breaks or control characters.
    public func validate() throws(SMTPError) {
        let bytes = Array(self.address.utf8)
        func invalid(_ reason: String) -> SMTPError { .invalidAddress(self.address, reason: reason) }
        guard !bytes.isEmpty else { throw invalid("empty") }
        guard bytes.count <= Self.maximumLength else { throw invalid("longer than \(Self.maximumLength) characters") }
        for byte in bytes {
            if byte == 0x0D || byte == 0x0A { throw invalid("contains a line break") }
            if byte <= 0x20 || byte >= 0x7F { throw invalid("only printable ASCII without spaces is supported") }
            if Self.forbidden.contains(byte) { throw invalid("contains '\(Character(Unicode.Scalar(byte)))'") }
        }
        let ats = bytes.filter { $0 == UInt8(ascii: "@") }.count
        guard ats == 1, let at = bytes.firstIndex(of: UInt8(ascii: "@")) else {
            throw invalid("expected exactly one '@'")
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64 else { throw invalid("the part before '@' must have 1 to 64 characters") }
        guard !domain.isEmpty else { throw invalid("missing domain") }
        for part in [Array(local), Array(domain)] {
            if part.first == UInt8(ascii: ".") || part.last == UInt8(ascii: ".") || zip(part, part.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }) {
                throw invalid("misplaced '.'")
            }
        }
        if let name = self.name {
            try MIMEHeader.validate(name, name: "display name of \(self.address)")
        }
    }

    /// Characters that would need quoting in the local part, or that could end the `<...>` of a
    /// path or the list of a header.
    private static let forbidden = Set("<>()[]\\,;:\"".utf8)

    /// The mailbox as it appears in a header: `Name <address>` with the name encoded as needed.
    var headerValue: String {
        guard let name = self.name, !name.isEmpty else { return self.address }
        return "\(MIMEHeader.phrase(name)) <\(self.address)>"
    }
}
