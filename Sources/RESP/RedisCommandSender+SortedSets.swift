import NIOCore

/// One end of a score range for ``RedisCommandSender/zrangebyscore(_:min:max:limit:)``.
public enum RedisScoreBound: Sendable, Hashable {
    /// Scores equal to the value are in the range.
    case inclusive(Double)
    /// Scores equal to the value are not in the range.
    case exclusive(Double)

    /// Below every score.
    public static let negativeInfinity = RedisScoreBound.inclusive(-.infinity)
    /// Above every score.
    public static let positiveInfinity = RedisScoreBound.inclusive(.infinity)

    var respArgument: RESPArgument {
        switch self {
        case .inclusive(let score): return .string(ByteBuffer.redisDouble(score))
        case .exclusive(let score): return .string("(" + ByteBuffer.redisDouble(score))
        }
    }
}

extension RedisCommandSender {
    /// `ZADD`: adds members with scores to the sorted set at `key`, or updates their scores.
    ///
    /// - Parameters:
    ///   - condition: `NX` (only add new members) or `XX` (only update existing ones).
    ///   - returnChanged: `CH`: count updated members too, not only added ones.
    /// - Returns: How many members were added (or added and changed, with `returnChanged`).
    @discardableResult
    public func zadd<Member: RESPArgumentConvertible>(
        _ key: some RESPArgumentConvertible,
        members: [(member: Member, score: Double)],
        condition: RedisWriteCondition = .always,
        returnChanged: Bool = false
    ) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        var arguments: [RESPArgument] = [key.respArgument]
        arguments.reserveCapacity(3 + members.count * 2)
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        if returnChanged { arguments.append("CH") }
        for (member, score) in members {
            arguments.append(.double(score))
            arguments.append(member.respArgument)
        }
        return try await self.send(RESPCommand("ZADD", arguments)).converted(to: Int.self, command: "ZADD")
    }

    /// `ZADD`: adds one member with a score, or updates its score; returns whether it was added.
    @discardableResult
    public func zadd(
        _ key: some RESPArgumentConvertible,
        member: some RESPArgumentConvertible,
        score: Double
    ) async throws -> Bool {
        try await self.send(RESPCommand("ZADD", key.respArgument, .double(score), member.respArgument))
            .converted(to: Int.self, command: "ZADD") == 1
    }

    /// `ZREM`: removes members from the sorted set at `key`; returns how many were there.
    @discardableResult
    public func zrem<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: [Member]) async throws -> Int {
        guard !members.isEmpty else { return 0 }
        return try await self.send(RESPCommand("ZREM", [key.respArgument] + members.map(\.respArgument)))
            .converted(to: Int.self, command: "ZREM")
    }

    /// `ZREM`: removes members from the sorted set at `key`; returns how many were there.
    @discardableResult
    public func zrem<Member: RESPArgumentConvertible>(_ key: some RESPArgumentConvertible, members: Member...) async throws -> Int {
        try await self.zrem(key, members: members)
    }

    /// `ZSCORE`: the score of `member`, or `nil` if it (or the key) is missing.
    public func zscore(
        _ key: some RESPArgumentConvertible,
        member: some RESPArgumentConvertible
    ) async throws -> Double? {
        try await self.send(RESPCommand("ZSCORE", key.respArgument, member.respArgument))
            .convertedIfPresent(to: Double.self, command: "ZSCORE")
    }

    /// `ZINCRBY`: adds `increment` to the score of `member` (0 if missing) and returns the new
    /// score.
    @discardableResult
    public func zincrby(
        _ key: some RESPArgumentConvertible,
        member: some RESPArgumentConvertible,
        by increment: Double
    ) async throws -> Double {
        try await self.send(RESPCommand("ZINCRBY", key.respArgument, .double(increment), member.respArgument))
            .converted(to: Double.self, command: "ZINCRBY")
    }

    /// `ZRANGE`: members by rank, lowest score first; `start` and `stop` are inclusive and may be
    /// negative (-1 is the last member).
    public func zrange(_ key: some RESPArgumentConvertible, start: Int, stop: Int) async throws -> [ByteBuffer] {
        try await self.zrange(key, start: start, stop: stop, as: ByteBuffer.self)
    }

    /// `ZRANGE`: members by rank converted to `type`.
    public func zrange<Member: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        start: Int,
        stop: Int,
        as type: Member.Type
    ) async throws -> [Member] {
        try await self.send(RESPCommand("ZRANGE", key.respArgument, .integer(start), .integer(stop)))
            .elements(command: "ZRANGE")
            .map { try $0.converted(to: type, command: "ZRANGE") }
    }

    /// `ZRANGE ... WITHSCORES`: members by rank with their scores.
    public func zrangeWithScores(
        _ key: some RESPArgumentConvertible,
        start: Int,
        stop: Int
    ) async throws -> [(member: ByteBuffer, score: Double)] {
        try await self.zrangeWithScores(key, start: start, stop: stop, as: ByteBuffer.self)
    }

    /// `ZRANGE ... WITHSCORES`: members by rank, converted to `type`, with their scores.
    public func zrangeWithScores<Member: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        start: Int,
        stop: Int,
        as type: Member.Type
    ) async throws -> [(member: Member, score: Double)] {
        try await self.send(RESPCommand("ZRANGE", key.respArgument, .integer(start), .integer(stop), "WITHSCORES"))
            .scoredMembers(as: type, command: "ZRANGE")
    }

    /// `ZRANGEBYSCORE`: members whose score is within `min...max`, lowest first.
    ///
    /// - Parameter limit: Skip `offset` matches and return at most `count` (`LIMIT`).
    public func zrangebyscore(
        _ key: some RESPArgumentConvertible,
        min: RedisScoreBound,
        max: RedisScoreBound,
        limit: (offset: Int, count: Int)? = nil
    ) async throws -> [ByteBuffer] {
        try await self.zrangebyscore(key, min: min, max: max, limit: limit, as: ByteBuffer.self)
    }

    /// `ZRANGEBYSCORE`: members whose score is within `min...max`, converted to `type`.
    public func zrangebyscore<Member: RESPValueConvertible>(
        _ key: some RESPArgumentConvertible,
        min: RedisScoreBound,
        max: RedisScoreBound,
        limit: (offset: Int, count: Int)? = nil,
        as type: Member.Type
    ) async throws -> [Member] {
        try await self.send(Self.rangeByScore(key, min: min, max: max, limit: limit, withScores: false))
            .elements(command: "ZRANGEBYSCORE")
            .map { try $0.converted(to: type, command: "ZRANGEBYSCORE") }
    }

    /// `ZRANGEBYSCORE ... WITHSCORES`: members within `min...max` with their scores.
    public func zrangebyscoreWithScores(
        _ key: some RESPArgumentConvertible,
        min: RedisScoreBound,
        max: RedisScoreBound,
        limit: (offset: Int, count: Int)? = nil
    ) async throws -> [(member: ByteBuffer, score: Double)] {
        try await self.send(Self.rangeByScore(key, min: min, max: max, limit: limit, withScores: true))
            .scoredMembers(as: ByteBuffer.self, command: "ZRANGEBYSCORE")
    }

    private static func rangeByScore(
        _ key: some RESPArgumentConvertible,
        min: RedisScoreBound,
        max: RedisScoreBound,
        limit: (offset: Int, count: Int)?,
        withScores: Bool
    ) -> RESPCommand {
        var arguments: [RESPArgument] = [key.respArgument, min.respArgument, max.respArgument]
        if withScores { arguments.append("WITHSCORES") }
        if let limit { arguments += ["LIMIT", .integer(limit.offset), .integer(limit.count)] }
        return RESPCommand("ZRANGEBYSCORE", arguments)
    }
}
