/// Writing header fields safely: rejecting values that would break out of their line, encoding
/// non-ASCII text as RFC 2047 encoded words, and folding long lines (RFC 5322, section 2.2.3).
enum MIMEHeader {
    /// The length a header line is folded at, when it has a space to fold at.
    static let preferredLineLength = 78
    /// The longest UTF-8 chunk in one encoded word: its base64 (52 characters) and the 12
    /// characters of `=?UTF-8?B?` and `?=` make 64, within the 75 RFC 2047 allows, and leave
    /// room for the header's name on the first line (lines holding encoded words must stay
    /// within 76 characters).
    static let encodedWordPayload = 39

    /// Throws unless `value` can go into a header: no line breaks (which would start a new
    /// header, or the body: header injection), no other control characters.
    static func validate(_ value: String, name: String) throws(SMTPError) {
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x0D, 0x0A:
                throw .invalidHeader(name: name, reason: "contains a line break (CR or LF)")
            case 0x09:
                continue
            case 0x00..<0x20, 0x7F:
                throw .invalidHeader(name: name, reason: "contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))")
            default:
                continue
            }
        }
    }

    /// Unstructured text (a subject) as it goes into the header: as is when it is plain ASCII,
    /// otherwise as a series of encoded words.
    static func unstructured(_ text: String) -> String {
        self.needsEncoding(text) ? self.encodedWords(text).joined(separator: " ") : text
    }

    /// A display name as a phrase: as is when it is made of atoms, quoted when it has special
    /// characters, encoded words when it is not ASCII.
    static func phrase(_ text: String) -> String {
        if self.needsEncoding(text) {
            return self.encodedWords(text).joined(separator: " ")
        }
        let isAtoms = text.utf8.allSatisfy { byte in
            byte == 0x20 || (byte > 0x20 && byte < 0x7F && !Self.specials.contains(byte))
        }
        if isAtoms && !text.hasPrefix(" ") && !text.hasSuffix(" ") && !text.contains("  ") {
            return text
        }
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        quoted.append("\"")
        return quoted
    }

    /// RFC 5322 specials, which an atom cannot contain.
    private static let specials = Set("()<>[]:;@\\,.\"".utf8)

    /// Whether text must be written as encoded words: it has non-ASCII characters, something a
    /// reader would take for an encoded word, or a word too long to fold.
    static func needsEncoding(_ text: String) -> Bool {
        if text.utf8.contains(where: { $0 >= 0x80 }) || text.contains("=?") { return true }
        return text.split(separator: " ").contains { $0.utf8.count > 70 }
    }

    /// `text` as RFC 2047 encoded words (`=?UTF-8?B?...?=`), each at most 75 characters and
    /// holding whole characters only. Spaces are inside the words, so joining them with a
    /// space (which readers drop between encoded words) gives back the text.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > Self.encodedWordPayload, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
        }
        return words
    }

    /// `Name: value` folded at spaces so that lines stay within 78 characters where possible,
    /// each continuation line starting with the space it was folded at. No final CRLF.
    static func fold(name: String, value: String) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        for (index, word) in words.enumerated() {
            let width = word.utf8.count
            if index > 0, width > 0, lineLength + 1 + width > Self.preferredLineLength, lineLength > name.utf8.count + 1 {
                output += "\r\n " + word
                lineLength = 1 + width
            } else {
                output += " " + word
                lineLength += 1 + width
            }
        }
        return output
    }
}
