public import NIOCore
public import RESP

/// A cache in Redis, shared by every process that uses the same server and namespace.
///
/// Keys are stored as `<namespace>:<key>`, so services sharing a server never see each other's
/// entries (the runtime gives each service `emporium:<service>`). Values expire with `SET ... PX`.
/// Errors (server down, time-out) are thrown; ``TwoLevelCache`` turns them into cache misses.
public struct RedisCache: Cache {
    /// The prefix of every key, without the trailing `:`.
    public let namespace: String
    private let redis: any RedisCommandSender
    private let commandTimeout: Duration?

    /// Creates a cache over `redis`.
    ///
    /// - Parameters:
    ///   - redis: A client (or a connection).
    ///   - namespace: The key prefix, such as `emporium:catalog`.
    ///   - commandTimeout: How long one cache command may take; `nil` uses the client's command
    ///     timeout. Keep it short: a slow cache is worse than a miss.
    public init(redis: any RedisCommandSender, namespace: String, commandTimeout: Duration? = nil) {
        self.redis = redis
        self.namespace = namespace
        self.commandTimeout = commandTimeout
    }

    /// The Redis key of `key`.
    public func redisKey(_ key: String) -> String {
        "\(namespace):\(key)"
    }

    /// `GET`: the value at `key`, or `nil`.
    public func value(forKey key: String) async throws -> ByteBuffer? {
        let reply = try await redis.send(RESPCommand("GET", .string(redisKey(key))), timeout: commandTimeout)
        if reply.isNull { return nil }
        guard let buffer = reply.buffer else {
            throw RedisClientError.unexpectedReply(command: "GET", reply: reply)
        }
        return buffer
    }

    /// `SET key value PX ttl`: stores `value` (at least one millisecond).
    public func setValue(_ value: ByteBuffer, forKey key: String, ttl: Duration) async throws {
        let milliseconds = max(1, Int((ttl / .milliseconds(1)).rounded(.up)))
        _ = try await redis.send(
            RESPCommand("SET", .string(redisKey(key)), .bytes(value), "PX", .integer(milliseconds)),
            timeout: commandTimeout
        )
    }

    /// `DEL`: removes the values at `keys`.
    public func removeValues(forKeys keys: [String]) async throws {
        guard !keys.isEmpty else { return }
        _ = try await redis.send(RESPCommand("DEL", keys.map { .string(redisKey($0)) }), timeout: commandTimeout)
    }
}
