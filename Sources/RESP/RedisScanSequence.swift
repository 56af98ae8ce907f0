import NIOCore

/// The keys of the selected database, fetched page by page with `SCAN`.
///
/// Made by ``RedisCommandSender/scan(match:count:type:)``. Iteration ends when the server
/// returns cursor 0. As `SCAN` promises, every key present for the whole iteration is returned;
/// a key added or removed meanwhile may or may not be, and a key may come twice if the server
/// shrinks its table during the iteration.
public struct RedisScanSequence<Sender: RedisCommandSender>: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let sender: Sender
    let match: String?
    let count: Int?
    let type: String?

    /// Creates an iterator that starts a new scan.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(sequence: self)
    }

    /// Fetches a page whenever the keys of the previous one are used up.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let sequence: RedisScanSequence
        private var cursor: ByteBuffer?
        private var page: [RESPValue] = []
        private var position = 0
        private var finished = false

        init(sequence: RedisScanSequence) {
            self.sequence = sequence
        }

        /// The next key, or `nil` once the scan is complete.
        public mutating func next() async throws -> ByteBuffer? {
            while self.position == self.page.count {
                if self.finished { return nil }
                try await self.fetchPage()
            }
            defer { self.position += 1 }
            return try self.page[self.position].converted(to: ByteBuffer.self, command: "SCAN")
        }

        private mutating func fetchPage() async throws {
            var arguments: [RESPArgument] = [self.cursor.map(RESPArgument.bytes) ?? "0"]
            if let match = self.sequence.match { arguments += ["MATCH", .string(match)] }
            if let count = self.sequence.count { arguments += ["COUNT", .integer(count)] }
            if let type = self.sequence.type { arguments += ["TYPE", .string(type)] }
            let reply = try await self.sequence.sender.send(RESPCommand("SCAN", arguments))
            let parts = try reply.elements(command: "SCAN")
            guard parts.count == 2, let cursor = parts[0].buffer, let keys = parts[1].array else {
                throw RedisClientError.unexpectedReply(command: "SCAN", reply: reply)
            }
            self.cursor = cursor
            self.page = keys
            self.position = 0
            self.finished = cursor.readableBytesView.elementsEqual("0".utf8)
        }
    }
}

extension RedisCommandSender {
    /// `SCAN`: every key of the selected database, as an asynchronous sequence that fetches a
    /// page at a time.
    ///
    /// ```swift
    /// for try await key in redis.scan(match: "cart:*", count: 500) {
    ///     try await redis.del(key)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - match: A glob pattern keys must match (`MATCH`).
    ///   - count: A hint for how many keys the server looks at per page (`COUNT`).
    ///   - type: Only keys of this type, such as `"hash"` (`TYPE`).
    public func scan(match: String? = nil, count: Int? = nil, type: String? = nil) -> RedisScanSequence<Self> {
        RedisScanSequence(sender: self, match: match, count: count, type: type)
    }
}
