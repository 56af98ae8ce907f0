import Crypto
import Foundation
public import HTTPTypes

/// The rule and header of the idempotency keys that name a request (a checkout, a refund), so
/// that sending it again has no second effect; and the fingerprint that tells a repeat of a
/// request from another request under the same key.
public enum IdempotencyKey {
    /// `Idempotency-Key`.
    public static let header = HTTPField.Name("Idempotency-Key")!
    public static let maximumLength = 255
    /// The rule as a regular expression, for OpenAPI.
    public static let pattern = "^[\\x21-\\x7E]+$"
    /// The rule in words.
    public static let rule = "must be 1 to \(maximumLength) visible ASCII characters (no spaces)"

    /// Whether `key` is 1–255 visible ASCII characters.
    public static func isValid(_ key: String) -> Bool {
        (1...maximumLength).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The request's key from its header, or a 400 naming the header when it is missing
    /// (`purpose` says what the key names: "a key naming this refund") or breaks the rule.
    public static func required(in headers: HTTPFields, purpose: String) throws(ProblemDetails) -> String {
        guard let key = headers[header] else { throw .invalidParameter(header.rawName, "is required: \(purpose) (\(rule))") }
        guard isValid(key) else { throw .invalidParameter(header.rawName, rule) }
        return key
    }

    /// A SHA-256 (hex) over `parts`, each prefixed with its length so that no two lists share
    /// the text hashed: the fingerprint stored with a key.
    public static func fingerprint(_ parts: [String]) -> String {
        let text = parts.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
