/// Helpers the typed commands use to check the shape of a reply.
extension RESPValue {
    /// Converts a reply that must be present.
    func converted<Value: RESPValueConvertible>(to type: Value.Type, command: String) throws -> Value {
        guard let value = Value(respValue: self) else {
            throw RedisClientError.unexpectedReply(command: command, reply: self)
        }
        return value
    }

    /// Converts a reply that may be null.
    func convertedIfPresent<Value: RESPValueConvertible>(to type: Value.Type, command: String) throws -> Value? {
        if case .null = self { return nil }
        return try self.converted(to: type, command: command)
    }

    /// The elements of an array or set reply (a null aggregate counts as empty).
    func elements(command: String) throws -> [RESPValue] {
        if case .null = self { return [] }
        guard let elements = self.array else {
            throw RedisClientError.unexpectedReply(command: command, reply: self)
        }
        return elements
    }

    /// The member/score pairs of a `WITHSCORES` reply: RESP3 sends `[[member, score], ...]`,
    /// RESP2 a flat `[member, score, member, score, ...]`.
    func scoredMembers<Member: RESPValueConvertible>(
        as type: Member.Type,
        command: String
    ) throws -> [(member: Member, score: Double)] {
        let elements = try self.elements(command: command)
        var result: [(member: Member, score: Double)] = []
        if elements.allSatisfy({ $0.array?.count == 2 }) && !elements.isEmpty {
            result.reserveCapacity(elements.count)
            for pair in elements {
                let parts = pair.array!
                result.append(
                    (try parts[0].converted(to: type, command: command), try parts[1].converted(to: Double.self, command: command))
                )
            }
            return result
        }
        guard elements.count % 2 == 0 else {
            throw RedisClientError.unexpectedReply(command: command, reply: self)
        }
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index < elements.count {
            result.append(
                (
                    try elements[index].converted(to: type, command: command),
                    try elements[index + 1].converted(to: Double.self, command: command)
                )
            )
            index += 2
        }
        return result
    }
}
