import Foundation

/// Small decoders for checking rendered messages without a server, written for the tests from
/// the RFCs and independent of the module's encoders.
enum MIMEDecoding {
    /// Quoted-printable to bytes: `=XX` escapes, soft breaks removed.
    static func quotedPrintable(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "=") {
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A {
                    index += 3
                    continue
                }
                let hex = String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self)
                output.append(UInt8(hex, radix: 16)!)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// RFC 2047 encoded words (B encoding, UTF-8) back to text; whitespace between adjacent
    /// encoded words is dropped, as the RFC says.
    static func encodedWords(_ value: String) -> String {
        let unfolded = value.replacingOccurrences(of: "\r\n", with: "")
        var result = ""
        var previousWasWord = false
        for (index, token) in unfolded.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let isWord = token.hasPrefix("=?UTF-8?B?") && token.hasSuffix("?=")
            if index > 0 && !(isWord && previousWasWord) { result += " " }
            if isWord {
                result += String(decoding: Data(base64Encoded: String(token.dropFirst(10).dropLast(2)))!, as: UTF8.self)
            } else {
                result += token
            }
            previousWasWord = isWord
        }
        return result
    }

    /// Splits rendered bytes into header lines (unfolded) and the body.
    static func split(_ bytes: [UInt8]) -> (headers: [String: String], body: String) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headerText = parts[0].replacingOccurrences(of: "\r\n ", with: " ")
        var headers: [String: String] = [:]
        for line in headerText.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

/// A generator that repeats a fixed sequence, for renderings that are the same every time.
struct FixedRandom: RandomNumberGenerator {
    var state: UInt64 = 0x1234_5678_9ABC_DEF0
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
}
