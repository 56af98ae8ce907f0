/// A failure on the client side of a Redis conversation: configuration, network, time-outs,
/// authentication, or a reply the client did not expect.
///
/// Errors the server itself reports arrive as ``RESPError`` instead.
public enum RedisClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection URL could not be understood; `reason` says which part is wrong.
    case invalidURL(String, reason: String)
    /// The URL asks for TLS (`rediss://`), which this client does not implement yet.
    case tlsNotSupported(String)
    /// No connection could be made to `host:port` (refused, unreachable, name not resolved).
    case connectionRefused(host: String, port: Int, reason: String)
    /// Connecting to `host:port` took longer than the configured connect timeout.
    case connectTimeout(host: String, port: Int)
    /// The server rejected the credentials, or requires credentials none were given.
    case authenticationFailed(RESPError)
    /// No reply came within the command timeout. The connection it was sent on is closed,
    /// because a late reply would otherwise be matched to the next command.
    case commandTimeout(command: String, timeout: Duration)
    /// No pooled connection became free within the lease timeout.
    case leaseTimeout(Duration)
    /// The connection closed before the reply arrived (server shut down, network failure, or
    /// another command on the same connection timed out).
    case connectionClosed
    /// The client (or its pool) was shut down.
    case clientClosed
    /// The server sent bytes that are not valid RESP.
    case protocolError(String)
    /// The server's reply had a shape the typed command wrapper did not expect.
    case unexpectedReply(command: String, reply: RESPValue)

    /// A sentence suitable for logs and error pages.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid Redis URL '\(Self.redacted(url))': \(reason)"
        case .tlsNotSupported(let url):
            return "TLS connections (rediss://) are not supported yet: '\(Self.redacted(url))'"
        case .connectionRefused(let host, let port, let reason):
            return "could not connect to Redis at \(host):\(port): \(reason)"
        case .connectTimeout(let host, let port):
            return "connecting to Redis at \(host):\(port) timed out"
        case .authenticationFailed(let error):
            return "Redis authentication failed: \(error)"
        case .commandTimeout(let command, let timeout):
            return "Redis command \(command) got no reply within \(timeout)"
        case .leaseTimeout(let timeout):
            return "no Redis connection became available within \(timeout)"
        case .connectionClosed:
            return "the Redis connection closed before the reply arrived"
        case .clientClosed:
            return "the Redis client has been shut down"
        case .protocolError(let detail):
            return "Redis protocol error: \(detail)"
        case .unexpectedReply(let command, let reply):
            return "unexpected reply to Redis command \(command): \(reply)"
        }
    }

    /// The URL with any password replaced by `***`, so errors can be logged safely.
    static func redacted(_ url: String) -> String {
        let utf8 = Array(url.utf8)
        let separator = Array("://".utf8)
        guard let schemeEnd = (0..<max(0, utf8.count - 2)).first(where: { Array(utf8[$0..<$0 + 3]) == separator }),
            let at = utf8.lastIndex(of: UInt8(ascii: "@")), at > schemeEnd
        else { return url }
        let userStart = schemeEnd + 3
        let colon = utf8[userStart..<at].firstIndex(of: UInt8(ascii: ":"))
        let keptEnd = colon.map { $0 + 1 } ?? userStart
        return String(decoding: utf8[..<keptEnd], as: UTF8.self) + "***" + String(decoding: utf8[at...], as: UTF8.self)
    }
}
