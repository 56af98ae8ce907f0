import NIOCore

/// How long a key set by ``RedisCommandSender/set(_:_:expiration:condition:)`` lives.
public enum RedisExpiration: Sendable, Hashable {
    /// Expire after this many seconds (`EX`).
    case seconds(Int)
    /// Expire after this many milliseconds (`PX`).
    case milliseconds(Int)
    /// Keep the key's current time to live (`KEEPTTL`).
    case keepTTL
}

/// When a write (`SET`, `ZADD`) happens.
public enum RedisWriteCondition: Sendable, Hashable {
    /// Always.
    case always
    /// Only if the key does not exist yet (`NX`).
    case ifNotExists
    /// Only if the key already exists (`XX`).
    case ifExists
}

/// The time to live of a key, as `TTL` reports it.
public enum RedisTTL: Sendable, Hashable {
    /// There is no such key.
    case keyDoesNotExist
    /// The key exists and does not expire.
    case noExpiration
    /// The key expires in this many seconds.
    case seconds(Int)
}

extension RedisCommandSender {
    /// `PING`: checks that the server answers; returns `PONG`, or `message` if one is given.
    @discardableResult
    public func ping(_ message: String? = nil) async throws -> String {
        let command = message.map { RESPCommand("PING", .string($0)) } ?? RESPCommand("PING")
        return try await self.send(command).converted(to: String.self, command: "PING")
    }

    /// `GET`: the value of `key` as bytes, or `nil` if there is no such key.
    public func get(_ key: some RESPArgumentConvertible) async throws -> ByteBuffer? {
        try await self.get(key, as: ByteBuffer.self)
    }

    /// `GET`: the value of `key` converted to `type` (`String.self`, `Int.self`...), or `nil` if
    /// there is no such key.
    public func get<Value: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        as type: Value.Type
    ) async throws -> Value? {
        try await self.send(RESPCommand("GET", key.respArgument)).convertedIfPresent(to: type, command: "GET")
    }

    /// `SET`: stores `value` at `key`.
    ///
    /// - Parameters:
    ///   - expiration: A time to live (`EX`/`PX`/`KEEPTTL`); `nil` removes any existing one.
    ///   - condition: `NX` or `XX`.
    /// - Returns: Whether the value was written: `false` when the condition did not hold.
    @discardableResult
    public func set(
        _ key: some RESPArgumentConvertible,
        _ value: some RESPArgumentConvertible,
        expiration: RedisExpiration? = nil,
        condition: RedisWriteCondition = .always
    ) async throws -> Bool {
        var arguments: [RESPArgument] = [key.respArgument, value.respArgument]
        switch expiration {
        case .none: break
        case .seconds(let seconds): arguments += ["EX", .integer(seconds)]
        case .milliseconds(let milliseconds): arguments += ["PX", .integer(milliseconds)]
        case .keepTTL: arguments.append("KEEPTTL")
        }
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        let reply = try await self.send(RESPCommand("SET", arguments))
        return !reply.isNull
    }

    /// `DEL`: removes keys; returns how many existed.
    @discardableResult
    public func del<Key: RESPArgumentConvertible>(_ keys: [Key]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await self.send(RESPCommand("DEL", keys.map(\.respArgument))).converted(to: Int.self, command: "DEL")
    }

    /// `DEL`: removes keys; returns how many existed.
    @discardableResult
    public func del<Key: RESPArgumentConvertible>(_ keys: Key...) async throws -> Int {
        try await self.del(keys)
    }

    /// `EXISTS`: how many of the keys exist (a key named twice counts twice).
    public func exists<Key: RESPArgumentConvertible>(_ keys: [Key]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try await self.send(RESPCommand("EXISTS", keys.map(\.respArgument))).converted(to: Int.self, command: "EXISTS")
    }

    /// `EXISTS`: how many of the keys exist (a key named twice counts twice).
    public func exists<Key: RESPArgumentConvertible>(_ keys: Key...) async throws -> Int {
        try await self.exists(keys)
    }

    /// `INCR`: adds one to the integer at `key` (0 if missing) and returns the new value.
    @discardableResult
    public func incr(_ key: some RESPArgumentConvertible) async throws -> Int {
        try await self.send(RESPCommand("INCR", key.respArgument)).converted(to: Int.self, command: "INCR")
    }

    /// `INCRBY`: adds `increment` to the integer at `key` (0 if missing) and returns the new value.
    @discardableResult
    public func incrby(_ key: some RESPArgumentConvertible, _ increment: Int) async throws -> Int {
        try await self.send(RESPCommand("INCRBY", key.respArgument, .integer(increment)))
            .converted(to: Int.self, command: "INCRBY")
    }

    /// `EXPIRE`: sets a time to live in seconds; returns `false` if there is no such key.
    @discardableResult
    public func expire(_ key: some RESPArgumentConvertible, seconds: Int) async throws -> Bool {
        try await self.send(RESPCommand("EXPIRE", key.respArgument, .integer(seconds)))
            .converted(to: Bool.self, command: "EXPIRE")
    }

    /// `TTL`: how long `key` has left to live.
    public func ttl(_ key: some RESPArgumentConvertible) async throws -> RedisTTL {
        let seconds = try await self.send(RESPCommand("TTL", key.respArgument)).converted(to: Int.self, command: "TTL")
        switch seconds {
        case -2: return .keyDoesNotExist
        case -1: return .noExpiration
        default: return .seconds(seconds)
        }
    }

    /// `MGET`: the values of several keys, in order, `nil` for each missing key.
    public func mget<Key: RESPArgumentConvertible>(_ keys: [Key]) async throws -> [ByteBuffer?] {
        try await self.mget(keys, as: ByteBuffer.self)
    }

    /// `MGET`: the values of several keys converted to `type`, in order, `nil` for each missing
    /// key.
    public func mget<Key: RESPArgumentConvertible, Value: RESPValueConvertible>(
        _ keys: [Key],
        as type: Value.Type
    ) async throws -> [Value?] {
        guard !keys.isEmpty else { return [] }
        return try await self.send(RESPCommand("MGET", keys.map(\.respArgument)))
            .elements(command: "MGET")
            .map { try $0.convertedIfPresent(to: type, command: "MGET") }
    }
}
