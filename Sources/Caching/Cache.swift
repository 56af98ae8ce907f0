public import NIOCore

/// A store of byte values by string key, each with a time to live.
///
/// Implementations: ``InMemoryCache`` (this process, LRU with a size bound) and ``RedisCache``
/// (shared by every process, under a key namespace). ``TwoLevelCache`` combines them. Values are
/// bytes so that callers decide the encoding (an HTTP body, JSON); the typed helpers in
/// `Cache+Codable.swift` encode `Codable` values as JSON.
public protocol Cache: Sendable {
    /// The value stored at `key`, or `nil` when there is none or it has expired.
    func value(forKey key: String) async throws -> ByteBuffer?

    /// Stores `value` at `key` for `ttl`, replacing any previous value.
    func setValue(_ value: ByteBuffer, forKey key: String, ttl: Duration) async throws

    /// Removes the values at `keys`; missing keys are ignored.
    func removeValues(forKeys keys: [String]) async throws
}

extension Cache {
    /// Removes the value at `key`, if any.
    public func removeValue(forKey key: String) async throws {
        try await self.removeValues(forKeys: [key])
    }
}
