/// Why sending mail failed: the server said no (with its reply), the network failed, TLS or
/// authentication did not work out, or the message or configuration is invalid.
///
/// A caller that retries (the notifications service does, with backoff) asks ``isTransient``:
///
/// ```swift
/// do { try await smtp.send(message) }
/// catch let error as SMTPError where error.isTransient { /* try again later */ }
/// catch { /* give up: record the delivery as failed */ }
/// ```
public enum SMTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection URL could not be understood; `reason` says which part is wrong.
    case invalidURL(String, reason: String)
    /// The configuration cannot be used (such as a CA file that cannot be read).
    case invalidConfiguration(String)
    /// A mail address is not one this client can send to or from.
    case invalidAddress(String, reason: String)
    /// A header value cannot be written safely (a line break in it would start a new header).
    case invalidHeader(name: String, reason: String)
    /// The message or envelope names no recipient.
    case noRecipients
    /// The message is larger than the limit the server announced with `SIZE`.
    case messageTooLarge(size: Int, limit: Int)
    /// No TCP connection could be made to `host:port` (refused, unreachable, name not resolved).
    case connectionRefused(host: String, port: Int, reason: String)
    /// Connecting to `host:port` took longer than the configured connect timeout.
    case connectTimeout(host: String, port: Int)
    /// No reply to `command` came within the command timeout; the connection was closed.
    case replyTimeout(command: String, timeout: Duration)
    /// The connection closed before the reply arrived.
    case connectionClosed
    /// The server sent something that is not an SMTP reply, or a reply that makes no sense at
    /// that point of the conversation.
    case protocolError(String)
    /// TLS is required (`starttls=required`, or credentials are configured) but the server did
    /// not offer `STARTTLS`.
    case startTLSNotOffered
    /// The TLS handshake failed: most often the server's certificate is not trusted or does
    /// not name the host.
    case tlsFailed(String)
    /// Credentials are configured but the server offers neither `AUTH PLAIN` nor `AUTH LOGIN`;
    /// `offered` lists what it does offer.
    case authenticationNotSupported(offered: [String])
    /// The server did not accept the credentials.
    case authenticationFailed(SMTPReply)
    /// The server answered `command` with an error reply: the greeting, `MAIL FROM`, a
    /// `RCPT TO` (then no recipient got the message), or `DATA`.
    case rejected(command: String, reply: SMTPReply)
    /// No pooled connection became free within the lease timeout.
    case leaseTimeout(Duration)
    /// The client was shut down.
    case clientClosed

    /// The server's reply, for the errors that carry one.
    public var reply: SMTPReply? {
        switch self {
        case .authenticationFailed(let reply), .rejected(_, let reply): return reply
        default: return nil
        }
    }

    /// The server's reply code, for the errors that carry one.
    public var replyCode: Int? { self.reply?.code }

    /// Whether sending the same message again later may succeed.
    ///
    /// Transient: a `4xx` reply, network failures and time-outs, and a pool with no free
    /// connection. Permanent: a `5xx` reply, an invalid message, address or configuration,
    /// TLS and authentication set-up problems, and a closed client.
    public var isTransient: Bool {
        switch self {
        case .authenticationFailed(let reply), .rejected(_, let reply):
            return reply.isTransientFailure
        case .connectionRefused, .connectTimeout, .replyTimeout, .connectionClosed, .leaseTimeout:
            return true
        case .invalidURL, .invalidConfiguration, .invalidAddress, .invalidHeader, .noRecipients,
            .messageTooLarge, .protocolError, .startTLSNotOffered, .tlsFailed,
            .authenticationNotSupported, .clientClosed:
            return false
        }
    }

    /// A sentence suitable for logs and delivery records.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid SMTP URL '\(Self.redacted(url))': \(reason)"
        case .invalidConfiguration(let reason):
            return "invalid SMTP configuration: \(reason)"
        case .invalidAddress(let address, let reason):
            return "invalid mail address '\(address)': \(reason)"
        case .invalidHeader(let name, let reason):
            return "invalid \(name) header: \(reason)"
        case .noRecipients:
            return "the message has no recipients"
        case .messageTooLarge(let size, let limit):
            return "the message has \(size) bytes, more than the \(limit) the server accepts"
        case .connectionRefused(let host, let port, let reason):
            return "could not connect to the SMTP server at \(host):\(port): \(reason)"
        case .connectTimeout(let host, let port):
            return "connecting to the SMTP server at \(host):\(port) timed out"
        case .replyTimeout(let command, let timeout):
            return "the SMTP server did not answer \(command) within \(timeout)"
        case .connectionClosed:
            return "the SMTP connection closed before the server answered"
        case .protocolError(let detail):
            return "SMTP protocol error: \(detail)"
        case .startTLSNotOffered:
            return "the SMTP server does not offer STARTTLS, which is required"
        case .tlsFailed(let reason):
            return "TLS with the SMTP server failed: \(reason)"
        case .authenticationNotSupported(let offered):
            let list = offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")
            return "the SMTP server offers no AUTH mechanism this client knows (PLAIN, LOGIN); it offers: \(list)"
        case .authenticationFailed(let reply):
            return "SMTP authentication failed: \(reply)"
        case .rejected(let command, let reply):
            return "the SMTP server rejected \(command): \(reply)"
        case .leaseTimeout(let timeout):
            return "no SMTP connection became available within \(timeout)"
        case .clientClosed:
            return "the SMTP client has been shut down"
        }
    }

    /// The URL with any password replaced by `***`, so errors can be logged safely.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound else {
            return url
        }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
    }
}
