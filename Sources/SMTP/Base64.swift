/// Base64 (RFC 4648, standard alphabet, with padding), as MIME and SASL use it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes `bytes` as one line, without breaks.
    static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: self.encodedBytes(bytes), as: UTF8.self)
    }

    /// Encodes `bytes` in lines of at most `lineLength` characters, each ending with CRLF, as a
    /// MIME body part (RFC 2045, section 6.8).
    static func encodeLines<Bytes: Collection<UInt8>>(_ bytes: Bytes, lineLength: Int = 76) -> [UInt8] {
        let encoded = self.encodedBytes(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count + encoded.count / lineLength * 2 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + lineLength, encoded.count)
            output.append(contentsOf: encoded[start..<end])
            output.append(contentsOf: [0x0D, 0x0A])
            start = end
        }
        return output
    }

    private static func encodedBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = second == nil ? nil : iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(self.alphabet[Int(group >> 18 & 0x3F)])
            output.append(self.alphabet[Int(group >> 12 & 0x3F)])
            output.append(second == nil ? UInt8(ascii: "=") : self.alphabet[Int(group >> 6 & 0x3F)])
            output.append(third == nil ? UInt8(ascii: "=") : self.alphabet[Int(group & 0x3F)])
        }
        return output
    }

    /// Decodes base64 text (as in the challenges of `AUTH LOGIN`); `nil` when it is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var group: UInt32 = 0
        var count = 0
        var padding = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                value = 0
            default: return nil
            }
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }
            group = group << 6 | value
            count += 1
            if count == 4 {
                output.append(UInt8(group >> 16 & 0xFF))
                if padding < 2 { output.append(UInt8(group >> 8 & 0xFF)) }
                if padding < 1 { output.append(UInt8(group & 0xFF)) }
                group = 0
                count = 0
            }
        }
        guard count == 0, padding <= 2 else { return nil }
        return output
    }
}
