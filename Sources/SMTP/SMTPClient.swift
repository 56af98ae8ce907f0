import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// Counts of a client's pooled connections at one moment.
public struct SMTPPoolStatistics: Sendable, Equatable {
    /// Connections open or being opened, in use or idle.
    public var open: Int
    /// Open connections waiting for the next message.
    public var idle: Int
    /// Connections sending a message right now.
    public var leased: Int
    /// Messages waiting for a connection.
    public var waiting: Int

    /// Creates statistics from counts.
    public init(open: Int, idle: Int, leased: Int, waiting: Int) {
        self.open = open
        self.idle = idle
        self.leased = leased
        self.waiting = waiting
    }
}

/// What the server said when it took a message.
public struct SMTPSendResult: Sendable, Hashable {
    /// The message's `Message-ID`, without angle brackets.
    public var messageID: String
    /// The server's reply after the data, often with its queue ID (`250 2.0.0 Ok: queued as ...`).
    public var reply: SMTPReply
}

/// An SMTP client: a pool of sessions with one server (or relay) and a `send` for messages.
///
/// ```swift
/// let smtp = try SMTPClient(url: "smtp://mailer:secret@smtp.example.com:587?starttls=required")
/// try await smtp.send(SMTPMessage(from: "shop@example.com", to: ["ada@example.com"],
///                                 subject: "Welcome", text: "Hello Ada"))
/// ```
///
/// Concurrent sends use up to ``SMTPConfiguration/Pool/maximumConnections`` sessions; a session
/// carries one message after another (with `RSET` in between), and a session the server closed
/// is replaced on the next send. The client does not retry a failed message: ``SMTPError``
/// says whether the failure is transient, and the caller decides when to try again.
///
/// The client is a `Service`: in a `ServiceGroup`, ``run()`` waits for graceful shutdown and then
/// closes the pool. Outside one, call ``close()`` when done.
public final class SMTPClient: Service, Sendable {
    /// The configuration the client was made with.
    public let configuration: SMTPConfiguration
    private let pool: SMTPConnectionPool

    /// Creates a client. No connection is made until the first message.
    ///
    /// - Parameters:
    ///   - configuration: Server, security, credentials and limits.
    ///   - eventLoopGroup: Where connections run; connections are spread over its loops.
    ///   - logger: Receives connection events at debug level.
    /// - Throws: ``SMTPError/invalidConfiguration(_:)`` when the TLS trust roots cannot be loaded.
    public init(
        configuration: SMTPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.smtp")
    ) throws(SMTPError) {
        self.configuration = configuration
        self.pool = SMTPConnectionPool(
            configuration: configuration,
            tlsContext: try SMTPTLS.makeContext(for: configuration),
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    /// Creates a client from an `smtp://` or `smtps://` URL with default limits; see
    /// ``SMTPConfiguration/init(url:)``.
    public convenience init(
        url: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.smtp")
    ) throws(SMTPError) {
        try self.init(configuration: try SMTPConfiguration(url: url), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Renders and sends one message on a pooled session.
    ///
    /// The message is checked and rendered before any connection is used, so an invalid one
    /// (a line break in the subject, a bad address) fails without talking to the server.
    ///
    /// - Throws: ``SMTPError``; ``SMTPError/isTransient`` tells whether a retry may succeed.
    @discardableResult
    public func send(_ message: SMTPMessage) async throws -> SMTPSendResult {
        let rendered = try message.render()
        let reply = try await self.send(rendered.bytes, envelope: message.envelope)
        return SMTPSendResult(messageID: rendered.messageID, reply: reply)
    }

    /// Sends prepared message bytes (headers and body; line breaks are made CRLF and lines are
    /// dot-stuffed on the way) to the envelope's recipients on a pooled session.
    @discardableResult
    public func send<Bytes: Sequence<UInt8> & Sendable>(_ data: Bytes, envelope: SMTPEnvelope) async throws -> SMTPReply {
        try envelope.validate()
        let connection = try await self.pool.lease()
        do {
            let reply = try await connection.send(data, envelope: envelope)
            await self.pool.release(connection)
            return reply
        } catch {
            await self.pool.release(connection)
            throw error
        }
    }

    /// How many connections are open, idle and in use, and how many messages wait for one.
    public var poolStatistics: SMTPPoolStatistics {
        get async {
            let statistics = await self.pool.statistics
            return SMTPPoolStatistics(open: statistics.open, idle: statistics.idle, leased: statistics.leased, waiting: statistics.waiting)
        }
    }

    /// Says `QUIT` on idle connections now and closes busy ones as they finish; sends after
    /// this fail with ``SMTPError/clientClosed``.
    public func close() async {
        await self.pool.close()
    }

    /// Runs until graceful shutdown (or cancellation), then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.close()
    }
}
