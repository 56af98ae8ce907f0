public import Crypto
public import Foundation

/// The data keys that encrypt personal data at rest: AES-256 keys by id, one of them active.
///
/// Keys come from configuration (never logged); the id of the key travels with every ciphertext,
/// so old rows stay readable after a rotation and can be re-encrypted at leisure.
public struct DataKeyRing: Sendable {
    /// Keys by id.
    public let keys: [String: SymmetricKey]
    /// The id of the key that encrypts new values.
    public let activeKeyID: String

    /// - Throws: ``FieldCipherError/invalidKeyRing(_:)`` when the active key is missing or a key is not 256 bits.
    public init(keys: [String: SymmetricKey], activeKeyID: String) throws(FieldCipherError) {
        guard keys[activeKeyID] != nil else { throw .invalidKeyRing("the active key \(activeKeyID) is not in the ring") }
        guard keys.values.allSatisfy({ $0.bitCount == 256 }) else { throw .invalidKeyRing("every key must be 256 bits") }
        guard keys.keys.allSatisfy({ !$0.isEmpty && !$0.contains(".") }) else { throw .invalidKeyRing("key ids must be non-empty and contain no '.'") }
        self.keys = keys
        self.activeKeyID = activeKeyID
    }

    /// A new random 256-bit key.
    public static func generateKey() -> SymmetricKey { SymmetricKey(size: .bits256) }
}

/// Why a value could not be encrypted or decrypted.
public enum FieldCipherError: Error, Equatable, CustomStringConvertible {
    case invalidKeyRing(String)
    case malformed
    case unknownKey(String)
    case authenticationFailed

    public var description: String {
        switch self {
        case .invalidKeyRing(let reason): "invalid data key ring: \(reason)"
        case .malformed: "the stored value is not an Emporium ciphertext"
        case .unknownKey(let id): "the data key \(id) is not configured"
        case .authenticationFailed: "the ciphertext was altered or belongs to another field"
        }
    }
}

/// Encrypts personal data fields with AES-256-GCM.
///
/// A sealed value is text: `v1.<key id>.<base64 of nonce, ciphertext and tag>`. The associated
/// data (say `users.email`) binds a ciphertext to its field: copied into another column, it no
/// longer opens.
public struct FieldCipher: Sendable {
    public let ring: DataKeyRing

    public init(ring: DataKeyRing) {
        self.ring = ring
    }

    /// Encrypts `plaintext` under the active key.
    public func seal(_ plaintext: String, field: String) throws -> String {
        let key = ring.keys[ring.activeKeyID]!
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(field.utf8))
        guard let combined = box.combined else { throw FieldCipherError.malformed }
        return "v1.\(ring.activeKeyID).\(combined.base64EncodedString())"
    }

    /// Decrypts a value sealed for `field` under any key of the ring.
    public func open(_ sealed: String, field: String) throws(FieldCipherError) -> String {
        let (keyID, combined) = try Self.parse(sealed)
        guard let key = ring.keys[keyID] else { throw .unknownKey(keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Data(field.utf8))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw .authenticationFailed
        }
    }

    /// The id of the key `sealed` was encrypted with.
    public func keyID(of sealed: String) throws(FieldCipherError) -> String {
        try Self.parse(sealed).keyID
    }

    /// Whether `sealed` is under a key other than the active one (a rotation re-encrypts it).
    public func needsReencryption(_ sealed: String) throws(FieldCipherError) -> Bool {
        try keyID(of: sealed) != ring.activeKeyID
    }

    private static func parse(_ sealed: String) throws(FieldCipherError) -> (keyID: String, combined: Data) {
        let parts = sealed.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let combined = Data(base64Encoded: String(parts[2])), combined.count >= 28 else {
            throw .malformed
        }
        return (String(parts[1]), combined)
    }
}

/// A keyed, deterministic fingerprint of a value (HMAC-SHA256), stored next to its ciphertext so
/// rows can be found by the value (log in by email) without storing it in the clear.
public struct BlindIndex: Sendable {
    private let key: SymmetricKey

    /// - Parameter key: A key of its own, not a data key: leaking the index key must not expose
    ///   the ciphertexts.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// The index of an email address, of its ``canonicalEmail(_:)`` form, so lookups ignore case
    /// and how the characters were composed (`zoë` precomposed or as `o` + combining diaeresis).
    public func email(_ email: String) -> String {
        value(Self.canonicalEmail(email), field: "email")
    }

    /// The one spelling of an email address that is indexed, compared and stored: trimmed,
    /// Unicode NFC (canonical composition), lower-cased, and NFC again (lower-casing may
    /// decompose). Two addresses that look the same have the same canonical form.
    public static func canonicalEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
            .precomposedStringWithCanonicalMapping
    }

    /// The index of `normalized` for `field` (hex).
    public func value(_ normalized: String, field: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(field)\u{0}\(normalized)".utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
