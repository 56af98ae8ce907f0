import NIOCore

extension RedisCommandSender {
    /// `SADD`: adds members to the set at `key`; returns how many were not there yet.
    @discardableResult
    public func sadd<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: [Member]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await self.send(RESPCommand("SADD", [key.respArgument] + members.map(\.respArgument)))
            .converted(to: Int.self, command: "SADD")
    }

    /// `SADD`: adds members to the set at `key`; returns how many were not there yet.
    @discardableResult
    public func sadd<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: Member...) async throws -> Int {
        try await self.sadd(key, members: members)
    }

    /// `SREM`: removes members from the set at `key`; returns how many were there.
    @discardableResult
    public func srem<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: [Member]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await self.send(RESPCommand("SREM", [key.respArgument] + members.map(\.respArgument)))
            .converted(to: Int.self, command: "SREM")
    }

    /// `SREM`: removes members from the set at `key`; returns how many were there.
    @discardableResult
    public func srem<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: Member...) async throws -> Int {
        try await self.srem(key, members: members)
    }

    /// `SMEMBERS`: every member of the set at `key` as bytes, in no particular order (empty if the
    /// key is missing).
    public func smembers(_ key: some RESPArgumentConvertible) async throws -> [ByteBuffer] {
        try await self.smembers(key, as: ByteBuffer.self)
    }

    /// `SMEMBERS`: every member converted to `type`, in no particular order.
    public func smembers<Member: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        as type: Member.Type
    ) async throws -> [Member] {
        try await self.send(RESPCommand("SMEMBERS", key.respArgument))
            .elements(command: "SMEMBERS")
            .map { try $0.converted(to: type, command: "SMEMBERS") }
    }

    /// `SISMEMBER`: whether `member` is in the set at `key`.
    public func sismember(
        _ key: some RESPArgumentConvertible,
        member: some RESPArgumentConvertible
    ) async throws -> Bool {
        try await self.send(RESPCommand("SISMEMBER", key.respArgument, member.respArgument))
            .converted(to: Bool.self, command: "SISMEMBER")
    }
}
