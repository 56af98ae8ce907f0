import NIOCore

extension RedisCommandSender {
    /// `HSET`: sets one field of the hash at `key`; returns 1 if the field is new, 0 if it was
    /// updated.
    @discardableResult
    public func hset(
        _ key: some RESPArgumentConvertible,
        field: some RESPArgumentConvertible,
        value: some RESPArgumentConvertible
    ) async throws -> Int {
        try await self.send(RESPCommand("HSET", key.respArgument, field.respArgument, value.respArgument))
            .converted(to: Int.self, command: "HSET")
    }

    /// `HSET`: sets several fields of the hash at `key`; returns how many were new.
    @discardableResult
    public func hset<Value: RESPArgumentConvertible>(
        _ key: some RESPArgumentConvertible,
        fields: [String: Value]
    ) async throws -> Int {
        guard !fields.isEmpty else { return 0 }
        var arguments: [RESPArgument] = [key.respArgument]
        arguments.reserveCapacity(1 + fields.count * 2)
        for (field, value) in fields {
            arguments.append(.string(field))
            arguments.append(value.respArgument)
        }
        return try await self.send(RESPCommand("HSET", arguments)).converted(to: Int.self, command: "HSET")
    }

    /// `HGET`: one field of the hash at `key` as bytes, `nil` if the field or key is missing.
    public func hget(
        _ key: some RESPArgumentConvertible,
        field: some RESPArgumentConvertible
    ) async throws -> ByteBuffer? {
        try await self.hget(key, field: field, as: ByteBuffer.self)
    }

    /// `HGET`: one field converted to `type`, `nil` if the field or key is missing.
    public func hget<Value: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        field: some RESPArgumentConvertible,
        as type: Value.Type
    ) async throws -> Value? {
        try await self.send(RESPCommand("HGET", key.respArgument, field.respArgument))
            .convertedIfPresent(to: type, command: "HGET")
    }

    /// `HGETALL`: every field of the hash at `key` (empty if the key is missing), with values as
    /// bytes.
    public func hgetall(_ key: some RESPArgumentConvertible) async throws -> [String: ByteBuffer] {
        try await self.hgetall(key, as: ByteBuffer.self)
    }

    /// `HGETALL`: every field of the hash at `key`, with values converted to `type`.
    public func hgetall<Value: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        as type: Value.Type
    ) async throws -> [String: Value] {
        let reply = try await self.send(RESPCommand("HGETALL", key.respArgument))
        guard let entries = reply.mapEntries else {
            throw RedisClientError.unexpectedReply(command: "HGETALL", reply: reply)
        }
        var result: [String: Value] = [:]
        result.reserveCapacity(entries.count)
        for entry in entries {
            result[try entry.key.converted(to: String.self, command: "HGETALL")] =
                try entry.value.converted(to: type, command: "HGETALL")
        }
        return result
    }

    /// `HDEL`: removes fields from the hash at `key`; returns how many existed.
    @discardableResult
    public func hdel<Field: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, fields: [Field]) async throws -> Int {
        guard !fields.isEmpty else { return 0 }
        return try await self.send(RESPCommand("HDEL", [key.respArgument] + fields.map(\.respArgument)))
            .converted(to: Int.self, command: "HDEL")
    }

    /// `HDEL`: removes fields from the hash at `key`; returns how many existed.
    @discardableResult
    public func hdel<Field: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, fields: Field...) async throws -> Int {
        try await self.hdel(key, fields: fields)
    }

    /// `HINCRBY`: adds `increment` to an integer field (0 if missing) and returns the new value.
    @discardableResult
    public func hincrby(
        _ key: some RESPArgumentConvertible,
        field: some RESPArgumentConvertible,
        by increment: Int
    ) async throws -> Int {
        try await self.send(RESPCommand("HINCRBY", key.respArgument, field.respArgument, .integer(increment)))
            .converted(to: Int.self, command: "HINCRBY")
    }
}
