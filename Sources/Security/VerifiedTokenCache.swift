import Crypto
public import Foundation
import Synchronization

/// The principals of access tokens that verified, so a token sent again is not verified again:
/// an ES256 verification costs about 45 µs of CPU, and clients send the same token for up to 15
/// minutes.
///
/// Entries are keyed by the SHA-256 of the token's exact text (so only the very same spelling
/// hits), and are used only until the token's expiry (plus the verifier's leeway) and only while
/// the key that signed it is still in the verifier's key ring. Only tokens that verified are
/// stored; a refused token is verified (and refused) again every time. The cache holds at most
/// ``capacity`` entries: when full, expired entries are dropped, and if none are, an arbitrary one.
public final class VerifiedTokenCache: Sendable {
    struct Entry {
        var principal: Principal
        var keyID: String
        var validUntil: Date
    }

    /// SHA-256 of a token.
    struct Key: Hashable {
        var a: UInt64, b: UInt64, c: UInt64, d: UInt64

        init(_ token: String) {
            var token = token
            let digest = token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { target in
                digest.withUnsafeBytes { source in target.copyMemory(from: source) }
            }
            (a, b, c, d) = words
        }
    }

    /// The most entries kept.
    public let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    /// - Parameter capacity: The most tokens remembered (10,000 by default: about 2 MB).
    public init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The number of tokens remembered now.
    public var count: Int { entries.withLock { $0.count } }

    /// The principal of `key`'s token if it verified before, is not expired at `now`, and its
    /// signing key is among `keyIDs`.
    func principal(for key: Key, now: Date, keyIDs: Set<String>) -> Principal? {
        guard let entry = entries.withLock({ $0[key] }) else { return nil }
        guard now < entry.validUntil, keyIDs.contains(entry.keyID) else {
            entries.withLock { _ = $0.removeValue(forKey: key) }
            return nil
        }
        return entry.principal
    }

    /// Remembers a token that verified.
    func store(_ principal: Principal, for key: Key, keyID: String, validUntil: Date, now: Date) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil {
                // Make room for a tenth of the capacity at once, so this pass over every entry
                // runs at most once per capacity/10 new tokens.
                entries = entries.filter { now < $0.value.validUntil }
                while entries.count > capacity - max(1, capacity / 10) { entries.remove(at: entries.startIndex) }
            }
            entries[key] = Entry(principal: principal, keyID: keyID, validUntil: validUntil)
        }
    }
}
