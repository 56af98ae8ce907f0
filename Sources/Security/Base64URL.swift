public import Foundation

/// Base64url without padding (RFC 4648 §5, as JWTs use it), decoded strictly: only the 64
/// characters of the alphabet, no `=`, no length that leaves a lone character, and zero trailing
/// bits in the last character. So every byte string has exactly one accepted spelling: a token
/// whose last character was swapped for one with the same leading bits (`…w` → `…x`) is refused.
public enum Base64URL {
    /// `data` as unpadded base64url.
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of `text`, or nil unless it is the canonical unpadded base64url of them.
    public static func decodeCanonical(_ text: some StringProtocol) -> Data? {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 != 1, bytes.allSatisfy(isAlphabet) else { return nil }
        var base64 = String(decoding: bytes.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
        base64 += String(repeating: "=", count: (4 - bytes.count % 4) % 4)
        // Foundation ignores set trailing bits; re-encoding shows whether they were zero.
        guard let data = Data(base64Encoded: base64), encode(data).utf8.elementsEqual(bytes) else { return nil }
        return data
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
