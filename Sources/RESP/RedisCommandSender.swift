/// Something that sends Redis commands and returns their replies: a ``RedisClient`` (through its
/// pool) or a single ``RedisConnection``.
///
/// The typed commands (`get`, `set`, `hgetall`, `zadd`, `scan`, `evalSHA`...) are extensions of
/// this protocol, so they work the same on both.
public protocol RedisCommandSender: Sendable {
    /// Sends one command and returns its reply.
    ///
    /// - Parameters:
    ///   - command: The command.
    ///   - timeout: How long to wait for the reply; `nil` uses the configured command timeout.
    /// - Throws: ``RESPError`` when the server replies with an error, ``RedisClientError``
    ///   otherwise (time-out, closed connection...).
    func send(_ command: RESPCommand, timeout: Duration?) async throws -> RESPValue

    /// Sends several commands in one write on one connection and returns all their replies, in
    /// order.
    ///
    /// A server error in one reply does not stop the others: it is returned in place as
    /// ``RESPValue/error(_:)`` (use ``RESPValue/throwingServerError()`` to turn it back into a
    /// thrown error). The commands are not a transaction: other clients' commands may run between
    /// them.
    ///
    /// - Parameters:
    ///   - commands: The commands, sent in this order.
    ///   - timeout: How long to wait for the last reply; `nil` uses the configured command timeout.
    func pipeline(_ commands: [RESPCommand], timeout: Duration?) async throws -> [RESPValue]
}

extension RedisCommandSender {
    /// Sends one command with the configured timeout and returns its reply.
    public func send(_ command: RESPCommand) async throws -> RESPValue {
        try await self.send(command, timeout: nil)
    }

    /// Sends any command by name, for commands without a typed wrapper.
    ///
    /// ```swift
    /// let info = try await redis.send(command: "CONFIG", args: ["GET", "maxmemory"])
    /// ```
    public func send(command: String, args: [RESPArgument] = [], timeout: Duration? = nil) async throws -> RESPValue {
        try await self.send(RESPCommand(command, args), timeout: timeout)
    }

    /// Sends several commands in one write with the configured timeout; see
    /// ``pipeline(_:timeout:)``.
    public func pipeline(_ commands: [RESPCommand]) async throws -> [RESPValue] {
        try await self.pipeline(commands, timeout: nil)
    }
}
