public import Crypto
public import Foundation

/// One entry of the append-only audit log. Each entry's ``hash`` covers its fields and the hash
/// of the entry before it, so altering, removing or reordering an entry breaks every later link.
public struct AuditEntry: Sendable, Codable, Equatable {
    /// 1, 2, 3, … without gaps.
    public var sequence: Int64
    /// ISO 8601 time (as stored).
    public var at: String
    /// Who did it (a user id, `system`, or an email blind index for a failed login).
    public var actor: String
    /// What happened: `login`, `login_failed`, `roles_changed`, `token_family_revoked`, …
    public var action: String
    /// What it happened to.
    public var target: String
    /// Details as canonical JSON (sorted keys).
    public var details: String
    /// ``hash`` of the previous entry; 64 zeros for the first.
    public var previousHash: String
    /// SHA-256 over the fields above, hex.
    public var hash: String

    /// The hash of the first entry's predecessor.
    public static let genesis = String(repeating: "0", count: 64)

    /// A new entry linked to `previous` (nil for the first).
    public init(after previous: AuditEntry?, at: String, actor: String, action: String, target: String, details: String) {
        self.sequence = (previous?.sequence ?? 0) + 1
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
        self.previousHash = previous?.hash ?? Self.genesis
        self.hash = ""
        self.hash = computedHash()
    }

    /// The hash the fields call for (equal to ``hash`` unless the entry was altered).
    public func computedHash() -> String {
        // Length-prefixed fields: no two different entries hash the same bytes.
        var bytes = Data()
        for field in ["\(sequence)", at, actor, action, target, details, previousHash] {
            let utf8 = Data(field.utf8)
            bytes.append(contentsOf: "\(utf8.count):".utf8)
            bytes.append(utf8)
        }
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// Checks an audit log.
public enum AuditChain {
    /// What is wrong with a log.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// The sequence number of the first entry that does not fit.
        public var sequence: Int64
        public var reason: String
        public var description: String { "audit entry \(sequence): \(reason)" }

        public init(sequence: Int64, reason: String) {
            self.sequence = sequence
            self.reason = reason
        }
    }

    /// The first entry that was altered, removed before, or moved, in `entries` ordered by
    /// sequence; nil when the chain is intact.
    /// - Parameter before: The (already checked) entry just before `entries` when checking a long
    ///   log a page at a time; nil when `entries` starts at the beginning.
    public static func firstBreak(in entries: [AuditEntry], after before: AuditEntry? = nil) -> Break? {
        var previous = before
        for entry in entries {
            let expectedSequence = (previous?.sequence ?? 0) + 1
            if entry.sequence != expectedSequence {
                return Break(sequence: entry.sequence, reason: "expected sequence \(expectedSequence): an entry is missing or out of place")
            }
            if entry.previousHash != (previous?.hash ?? AuditEntry.genesis) {
                return Break(sequence: entry.sequence, reason: "does not link to the entry before it")
            }
            if entry.computedHash() != entry.hash {
                return Break(sequence: entry.sequence, reason: "its content was altered")
            }
            previous = entry
        }
        return nil
    }
}
