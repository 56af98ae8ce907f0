/// Errors raised by the AMQP client. Each description names what failed and where, for an
/// operator reading a log line.
public enum AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection URL could not be parsed.
    case invalidURL(String, reason: String)
    /// An argument cannot be sent (e.g. a name longer than 255 bytes).
    case invalidArgument(String)
    /// The broker refused the credentials or the virtual host (reply 403 ACCESS_REFUSED or
    /// 530 NOT_ALLOWED, or the broker hung up during authentication).
    case accessRefused(broker: String, user: String, vhost: String, reason: String)
    /// No TCP connection to the broker could be made (refused, unreachable or timed out).
    case brokerUnreachable(broker: String, reason: String)
    /// The broker closed the connection with connection.close (e.g. 320 CONNECTION_FORCED
    /// when it shuts down), or the application closed it (code 200).
    case connectionClosed(broker: String, code: UInt16, text: String)
    /// The connection dropped (socket closed, missed heartbeats) or is being re-established.
    /// Operations in flight were not completed: an unconfirmed publish was not sent.
    case connectionLost(broker: String, reason: String)
    /// The broker closed the channel with channel.close, e.g. 404 NOT_FOUND for a missing
    /// exchange or 406 PRECONDITION_FAILED for a queue declared with other arguments.
    /// The connection stays usable; open a new channel.
    case channelClosed(code: UInt16, text: String, method: String?)
    /// The broker answered a confirmed publish with basic.nack: it did not take the message.
    case publishNacked(deliveryTag: UInt64)
    /// An operation got no answer in time.
    case timedOut(operation: String, after: Duration)
    /// Bytes on the wire do not form a valid frame.
    case frameError(String)
    /// A peer did something the protocol does not allow (unexpected method, ...).
    case protocolError(String)
    /// All channel numbers up to the negotiated channel-max are in use.
    case channelLimitReached(max: UInt16)

    /// A one-line explanation naming the broker, user, code or argument involved.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "invalid AMQP URL '\(url)': \(reason)"
        case .invalidArgument(let what):
            return "invalid AMQP argument: \(what)"
        case .accessRefused(let broker, let user, let vhost, let reason):
            return "broker \(broker) refused access for user '\(user)' to virtual host '\(vhost)': \(reason)"
        case .brokerUnreachable(let broker, let reason):
            return "cannot reach AMQP broker at \(broker): \(reason)"
        case .connectionClosed(let broker, let code, let text):
            return "connection to AMQP broker \(broker) closed: \(AMQPReplyCode.describe(code, text))"
        case .connectionLost(let broker, let reason):
            return "connection to AMQP broker \(broker) lost: \(reason)"
        case .channelClosed(let code, let text, let method):
            let during = method.map { " (in reply to \($0))" } ?? ""
            return "broker closed the channel: \(AMQPReplyCode.describe(code, text))\(during)"
        case .publishNacked(let tag):
            return "broker rejected published message (basic.nack, delivery tag \(tag)); it was not stored"
        case .timedOut(let operation, let after):
            return "AMQP \(operation) got no answer within \(after)"
        case .frameError(let detail):
            return "AMQP frame error: \(detail)"
        case .protocolError(let detail):
            return "AMQP protocol error: \(detail)"
        case .channelLimitReached(let max):
            return "no free AMQP channel: all \(max) channels the broker allows are open"
        }
    }

    /// The AMQP reply code when the broker closed a channel or the connection.
    public var replyCode: UInt16? {
        switch self {
        case .channelClosed(let code, _, _), .connectionClosed(_, let code, _): code
        default: nil
        }
    }
}

/// Reply codes of AMQP 0-9-1 used in channel.close and connection.close.
public enum AMQPReplyCode {
    /// Normal close.
    public static let success: UInt16 = 200
    /// The broker closed the connection, e.g. while shutting down.
    public static let connectionForced: UInt16 = 320
    /// Authentication failed.
    public static let accessRefused: UInt16 = 403
    /// A queue or exchange does not exist.
    public static let notFound: UInt16 = 404
    /// Exclusive use of a resource held by another connection.
    public static let resourceLocked: UInt16 = 405
    /// A declaration conflicts with the existing entity, or a precondition failed.
    public static let preconditionFailed: UInt16 = 406
    /// The virtual host is not accessible to the user.
    public static let notAllowed: UInt16 = 530

    static let names: [UInt16: String] = [
        200: "REPLY_SUCCESS", 311: "CONTENT_TOO_LARGE", 312: "NO_ROUTE", 313: "NO_CONSUMERS", 320: "CONNECTION_FORCED",
        402: "INVALID_PATH", 403: "ACCESS_REFUSED", 404: "NOT_FOUND", 405: "RESOURCE_LOCKED", 406: "PRECONDITION_FAILED",
        501: "FRAME_ERROR", 502: "SYNTAX_ERROR", 503: "COMMAND_INVALID", 504: "CHANNEL_ERROR", 505: "UNEXPECTED_FRAME",
        506: "RESOURCE_ERROR", 530: "NOT_ALLOWED", 540: "NOT_IMPLEMENTED", 541: "INTERNAL_ERROR",
    ]

    /// "404 NOT_FOUND - no exchange ..." : the code, then the broker's text (RabbitMQ starts
    /// it with the code's name), or the name alone when the text is empty.
    static func describe(_ code: UInt16, _ text: String) -> String {
        if text.isEmpty { return "\(code) \(names[code] ?? "")" }
        return "\(code) \(text)"
    }
}
