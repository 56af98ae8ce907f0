/// A Lua script and its SHA-1, the name Redis caches it under.
///
/// Make scripts once (as `static let`) and run them with
/// ``RedisCommandSender/evalsha(_:keys:arguments:)``, which sends only the SHA-1 and loads the
/// source when the server does not have it (after a restart or `SCRIPT FLUSH`).
///
/// ```swift
/// static let takeToken = RedisScript("""
///     local tokens = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
///     ...
///     """)
/// ```
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The lower-case hexadecimal SHA-1 of the source, as `SCRIPT LOAD` returns it.
    public let sha1: String

    /// Creates a script and computes its SHA-1.
    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hexDigest(source.utf8)
    }
}
