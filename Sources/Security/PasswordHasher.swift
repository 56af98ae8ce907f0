import HummingbirdBcrypt
public import NIOPosix

/// Hashes and checks passwords with bcrypt, off the Swift concurrency threads (bcrypt takes tens
/// of milliseconds by design; on a cooperative thread it would stall every other request).
///
/// ``verify(_:against:)`` with no stored hash (no such account) still checks the password
/// against a hash made at start-up, so a login with an unknown email costs the same time as a
/// wrong password: response times do not reveal which emails have accounts.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (log2 rounds).
    public let cost: UInt8
    private let threadPool: NIOThreadPool
    private let decoyHash: String

    /// - Parameters:
    ///   - cost: bcrypt cost, 4…31; 12 in production, lower in tests.
    ///   - threadPool: where the hashing runs.
    public init(cost: UInt8 = 12, threadPool: NIOThreadPool = .singleton) {
        self.cost = cost
        self.threadPool = threadPool
        self.decoyHash = Bcrypt.hash("decoy \(UInt64.random(in: 0...UInt64.max))", cost: cost)
    }

    /// The bcrypt hash of `password` (salted; a new hash every call).
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await threadPool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; false, after the same work, when `hash` is nil.
    /// A password over ``PasswordPolicy/maximumBytes`` never matches (bcrypt would compare its
    /// first 72 bytes only), whatever the account; it is refused without hashing.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        guard password.utf8.count <= PasswordPolicy.maximumBytes else { return false }
        let stored = hash ?? decoyHash
        let matches = try await threadPool.runIfActive { Bcrypt.verify(password, hash: stored) }
        return hash != nil && matches
    }
}
