/// Quoted-printable (RFC 2045, section 6.7) for text body parts: readable where the text is
/// ASCII, every other byte as `=XX`.
enum QuotedPrintable {
    /// The longest encoded line, the soft break's `=` included.
    static let maximumLineLength = 76

    /// Encodes text whose line breaks are already CRLF. Each line break stays a real (hard)
    /// break; longer lines get soft breaks (`=` at the end of the line). Spaces and tabs before
    /// a break are encoded so that no transport strips them.
    ///
    /// A `.` at the start of a line is left alone: ``SMTPDataEncoder`` dot-stuffs it on the wire.
    static func encode(crlfText bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var lineStart = 0
        var index = 0
        while index <= bytes.count {
            let atBreak = index + 1 < bytes.count && bytes[index] == 0x0D && bytes[index + 1] == 0x0A
            if index == bytes.count || atBreak {
                self.encodeLine(bytes[lineStart..<index], into: &output)
                if atBreak {
                    output.append(contentsOf: [0x0D, 0x0A])
                    index += 2
                    lineStart = index
                    continue
                }
                break
            }
            index += 1
        }
        return output
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var lineLength = 0
        for (offset, byte) in zip(line.indices, line) {
            let isLast = offset == line.index(before: line.endIndex)
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
            let width = literal ? 1 : 3
            // Room for this character plus a soft break's `=`, unless it ends the line.
            let limit = isLast ? self.maximumLineLength : self.maximumLineLength - 1
            if lineLength + width > limit {
                output.append(contentsOf: [UInt8(ascii: "="), 0x0D, 0x0A])
                lineLength = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(self.hexDigits[Int(byte >> 4)])
                output.append(self.hexDigits[Int(byte & 0x0F)])
            }
            lineLength += width
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
