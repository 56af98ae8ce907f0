extension RedisCommandSender {
    /// Runs a cached script by its SHA-1 (`EVALSHA`). If the server answers `NOSCRIPT`, the
    /// script is loaded with `SCRIPT LOAD` and run again (and, should the cache be flushed once
    /// more in between, sent whole with `EVAL`), so callers never see that error.
    ///
    /// - Parameters:
    ///   - script: The script.
    ///   - keys: The keys it touches (`KEYS` in Lua).
    ///   - arguments: Its other arguments (`ARGV` in Lua).
    /// - Returns: The script's result.
    /// - Throws: ``RESPError`` for an error raised by the script or a wrong reply type.
    @discardableResult
    public func evalsha(
        _ script: RedisScript,
        keys: [RESPArgument] = [],
        arguments: [RESPArgument] = []
    ) async throws -> RESPValue {
        var commandArguments: [RESPArgument] = [.string(script.sha1), .integer(keys.count)]
        commandArguments.reserveCapacity(2 + keys.count + arguments.count)
        commandArguments += keys
        commandArguments += arguments
        let command = RESPCommand("EVALSHA", commandArguments)
        do {
            return try await self.send(command)
        } catch let error as RESPError where error.code == RESPError.noScriptCode {
            try await self.scriptLoad(script)
        }
        do {
            return try await self.send(command)
        } catch let error as RESPError where error.code == RESPError.noScriptCode {
            // Flushed again between the load and the retry: send the source itself.
            var evalArguments = commandArguments
            evalArguments[0] = .string(script.source)
            return try await self.send(RESPCommand("EVAL", evalArguments))
        }
    }

    /// Runs a cached script and converts its result; see ``evalsha(_:keys:arguments:)``.
    public func evalsha<Result: RESPValueConvertible>(
        _ script: RedisScript,
        keys: [RESPArgument] = [],
        arguments: [RESPArgument] = [],
        as type: Result.Type
    ) async throws -> Result? {
        let reply = try await self.evalsha(script, keys: keys, arguments: arguments)
        if reply.isNull { return nil }
        guard let value = Result(respValue: reply) else {
            throw RedisClientError.unexpectedReply(command: "EVALSHA", reply: reply)
        }
        return value
    }

    /// Loads a script into the server's cache (`SCRIPT LOAD`) and returns the SHA-1 the server
    /// computed.
    @discardableResult
    public func scriptLoad(_ script: RedisScript) async throws -> String {
        let reply = try await self.send(RESPCommand("SCRIPT", "LOAD", .string(script.source)))
        guard let sha = reply.string else {
            throw RedisClientError.unexpectedReply(command: "SCRIPT LOAD", reply: reply)
        }
        return sha
    }
}
