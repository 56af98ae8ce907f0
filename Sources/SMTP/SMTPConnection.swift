import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One session with an SMTP server, greeted, encrypted and authenticated as configured, ready
/// for mail transactions one after another.
///
/// Most code uses an ``SMTPClient``, which pools connections.
public final class SMTPConnection: Sendable {
    /// A number identifying this connection in logs, unique in the process.
    public let id: Int
    /// What the server announced in its (last) `EHLO` reply.
    public let capabilities: SMTPCapabilities
    /// Whether the session runs over TLS (implicit, or after `STARTTLS`).
    public let isEncrypted: Bool
    /// Whether the client authenticated.
    public let isAuthenticated: Bool

    let transport: SMTPTransport
    private let commandTimeout: Duration
    private let logger: Logger

    private static let nextID = Atomic<Int>(1)

    private init(
        id: Int,
        transport: SMTPTransport,
        capabilities: SMTPCapabilities,
        isEncrypted: Bool,
        isAuthenticated: Bool,
        commandTimeout: Duration,
        logger: Logger
    ) {
        self.id = id
        self.transport = transport
        self.capabilities = capabilities
        self.isEncrypted = isEncrypted
        self.isAuthenticated = isAuthenticated
        self.commandTimeout = commandTimeout
        self.logger = logger
    }

    /// Opens a session: TCP connect (with TLS from the start for ``SMTPConfiguration/Security/implicitTLS``),
    /// the server's `220` greeting, `EHLO` (or `HELO` for a server without extensions),
    /// `STARTTLS` and `EHLO` again as configured, then `AUTH PLAIN` or `AUTH LOGIN` when
    /// credentials are configured.
    ///
    /// - Parameters:
    ///   - configuration: Server, security, credentials and time limits.
    ///   - tlsContext: The TLS context to use (an ``SMTPClient`` makes one and shares it); one is
    ///     made from the configuration when `nil` and TLS is needed.
    ///   - eventLoop: The event loop the connection runs on.
    ///   - logger: Where connection events are logged (at debug level).
    /// - Throws: ``SMTPError``: the connect errors, ``SMTPError/rejected(command:reply:)`` for a
    ///   greeting that is not `220`, ``SMTPError/startTLSNotOffered``, ``SMTPError/tlsFailed(_:)``,
    ///   ``SMTPError/authenticationNotSupported(offered:)``, ``SMTPError/authenticationFailed(_:)``.
    public static func connect(
        configuration: SMTPConfiguration,
        tlsContext: NIOSSLContext? = nil,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        logger: Logger = Logger(label: "emporium.smtp")
    ) async throws -> SMTPConnection {
        let id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var logger = logger
        logger[metadataKey: "smtp.connection"] = "\(id)"
        let clientName = try Self.clientName(configuration)
        let tlsContext = try tlsContext ?? SMTPTLS.makeContext(for: configuration)
        let serverHostname = SMTPTLS.serverHostname(for: configuration)
        let implicitTLS = configuration.security == .implicitTLS
        if implicitTLS && tlsContext == nil {
            throw SMTPError.invalidConfiguration("implicit TLS needs a TLS context")
        }

        let transport: SMTPTransport
        do {
            let greetingTimeout = configuration.commandTimeout
            transport = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let greeting = channel.eventLoop.makePromise(of: SMTPReply.self)
                        if implicitTLS, let tlsContext {
                            let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        let handler = SMTPConnectionHandler(greeting: greeting, timeout: greetingTimeout)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return SMTPTransport(
                            channel: channel,
                            handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
                            greeting: greeting.futureResult
                        )
                    }
                }
        } catch {
            throw Self.connectError(error, configuration: configuration)
        }

        do {
            let session = try await Self.handshake(
                transport,
                configuration: configuration,
                clientName: clientName,
                tlsContext: tlsContext,
                serverHostname: serverHostname,
                logger: logger
            )
            logger.debug(
                "connected to SMTP server",
                metadata: [
                    "smtp.address": "\(configuration.host):\(configuration.port)",
                    "smtp.tls": "\(session.encrypted)",
                    "smtp.authenticated": "\(session.authenticated)",
                ]
            )
            return SMTPConnection(
                id: id,
                transport: transport,
                capabilities: session.capabilities,
                isEncrypted: session.encrypted,
                isAuthenticated: session.authenticated,
                commandTimeout: configuration.commandTimeout,
                logger: logger
            )
        } catch {
            try? await transport.channel.close()
            throw error
        }
    }

    /// Whether the connection is still open.
    public var isOpen: Bool {
        self.transport.channel.isActive
    }

    // MARK: mail

    /// Sends one message: `MAIL FROM`, a `RCPT TO` per recipient, `DATA` and the message itself,
    /// dot-stuffed with CRLF line breaks.
    ///
    /// If the server refuses any recipient, the transaction is reset and nothing is sent to
    /// anyone, so the whole message can be retried without duplicates. After a refusal the
    /// connection can carry the next message.
    ///
    /// - Returns: The server's reply after the data (often with its queue ID).
    /// - Throws: ``SMTPError/rejected(command:reply:)`` naming the refused command, or the
    ///   connection errors.
    @discardableResult
    public func send<Bytes: Sequence<UInt8> & Sendable>(_ data: Bytes, envelope: SMTPEnvelope) async throws -> SMTPReply {
        try envelope.validate()
        var buffer = self.transport.channel.allocator.buffer(capacity: data.underestimatedCount + 64)
        SMTPDataEncoder.encode(data, into: &buffer)

        var mail = "MAIL FROM:<\(envelope.sender.address)>"
        if self.capabilities.supports("SIZE") {
            if let limit = self.capabilities.maximumMessageSize, buffer.readableBytes > limit {
                throw SMTPError.messageTooLarge(size: buffer.readableBytes, limit: limit)
            }
            mail += " SIZE=\(buffer.readableBytes)"
        }
        try await self.expect(mail, name: "MAIL FROM:<\(envelope.sender.address)>", reset: true)
        for recipient in envelope.recipients {
            try await self.expect("RCPT TO:<\(recipient.address)>", reset: true)
        }
        let dataReply = try await self.transport.command("DATA", timeout: self.commandTimeout)
        guard dataReply.code == 354 else {
            try await self.resetAfterRefusal()
            throw SMTPError.rejected(command: "DATA", reply: dataReply)
        }
        let reply = try await self.transport.send(buffer, name: "the message data", timeout: self.commandTimeout)
        guard reply.isPositiveCompletion else {
            throw SMTPError.rejected(command: "the message data", reply: reply)
        }
        self.logger.debug("message accepted", metadata: ["smtp.reply": "\(reply)", "smtp.recipients": "\(envelope.recipients.count)"])
        return reply
    }

    /// Renders `message` (see ``SMTPMessage/render()``) and sends it to its envelope.
    ///
    /// - Returns: The `Message-ID` it was sent with and the server's reply.
    @discardableResult
    public func send(_ message: SMTPMessage) async throws -> (messageID: String, reply: SMTPReply) {
        let rendered = try message.render()
        let reply = try await self.send(rendered.bytes, envelope: message.envelope)
        return (rendered.messageID, reply)
    }

    /// `RSET`: abandons any transaction in progress. Also shows that the session is still alive.
    public func reset() async throws {
        try await self.expect("RSET", reset: false)
    }

    /// `NOOP`: checks that the session is alive.
    public func noop() async throws {
        try await self.expect("NOOP", reset: false)
    }

    /// Says `QUIT` (waiting at most a second for the reply) and closes the connection.
    public func quit() async {
        if self.isOpen {
            _ = try? await self.transport.command("QUIT", timeout: min(self.commandTimeout, .seconds(1)))
        }
        await self.close()
    }

    /// Closes the connection without `QUIT`. Commands still waiting fail with
    /// ``SMTPError/connectionClosed``.
    public func close() async {
        try? await self.transport.channel.close()
        self.logger.debug("closed SMTP connection")
    }

    /// A future that completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.transport.channel.closeFuture
    }

    /// Sends a command that must get a `2xx` reply; on another reply resets the transaction
    /// (when `reset`) and throws ``SMTPError/rejected(command:reply:)``.
    private func expect(_ line: String, name: String? = nil, reset: Bool) async throws {
        let reply = try await self.transport.command(line, name: name, timeout: self.commandTimeout)
        guard reply.isPositiveCompletion else {
            if reset { try await self.resetAfterRefusal() }
            throw SMTPError.rejected(command: name ?? line, reply: reply)
        }
    }

    /// `RSET` after a refused command, so the next transaction starts clean; a connection that
    /// cannot even do that is closed (and the pool drops it).
    private func resetAfterRefusal() async throws {
        do {
            let reply = try await self.transport.command("RSET", timeout: self.commandTimeout)
            if !reply.isPositiveCompletion { await self.close() }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            await self.close()
        }
    }

    // MARK: opening

    private struct Session {
        var capabilities: SMTPCapabilities
        var encrypted: Bool
        var authenticated: Bool
    }

    private static func handshake(
        _ transport: SMTPTransport,
        configuration: SMTPConfiguration,
        clientName: String,
        tlsContext: NIOSSLContext?,
        serverHostname: String?,
        logger: Logger
    ) async throws -> Session {
        let timeout = configuration.commandTimeout
        let greeting = try await transport.readGreeting()
        guard greeting.code == 220 else {
            throw SMTPError.rejected(command: "the connection (greeting)", reply: greeting)
        }
        var encrypted = configuration.security == .implicitTLS
        var capabilities = try await Self.hello(transport, clientName: clientName, timeout: timeout)

        let wantsTLS = configuration.security == .startTLS || configuration.security == .startTLSIfAvailable
        if !encrypted && wantsTLS {
            // Plain text is acceptable only when neither the configuration nor credentials need TLS.
            let plainTextAllowed = configuration.security == .startTLSIfAvailable && !configuration.hasCredentials
            if capabilities?.supportsStartTLS == true, let tlsContext {
                let reply = try await transport.command("STARTTLS", timeout: timeout)
                if reply.code == 220 {
                    try await transport.startTLS(context: tlsContext, serverHostname: serverHostname)
                    encrypted = true
                    // RFC 3207: forget what was said before TLS and ask again.
                    capabilities = try await Self.hello(transport, clientName: clientName, timeout: timeout)
                } else if plainTextAllowed && reply.isTransientFailure {
                    logger.debug("the SMTP server refused STARTTLS for now; sending in plain text", metadata: ["smtp.reply": "\(reply)"])
                } else {
                    throw SMTPError.rejected(command: "STARTTLS", reply: reply)
                }
            } else if !plainTextAllowed {
                throw SMTPError.startTLSNotOffered
            } else {
                logger.debug("the SMTP server does not offer STARTTLS; sending in plain text")
            }
        }

        var authenticated = false
        if let username = configuration.username {
            try await Self.authenticate(
                transport,
                username: username,
                password: configuration.password ?? "",
                capabilities: capabilities ?? SMTPCapabilities(),
                timeout: timeout
            )
            authenticated = true
        }
        return Session(capabilities: capabilities ?? SMTPCapabilities(), encrypted: encrypted, authenticated: authenticated)
    }

    /// `EHLO`, falling back to `HELO` (then `nil`: no extensions) when the server does not know it.
    private static func hello(_ transport: SMTPTransport, clientName: String, timeout: Duration) async throws -> SMTPCapabilities? {
        let reply = try await transport.command("EHLO \(clientName)", timeout: timeout)
        if reply.isPositiveCompletion {
            return SMTPCapabilities(ehloReply: reply)
        }
        // 500/502: command unknown; some old servers answer 501 or 504 as well.
        guard reply.isPermanentFailure, [500, 501, 502, 504].contains(reply.code) else {
            throw SMTPError.rejected(command: "EHLO", reply: reply)
        }
        let helo = try await transport.command("HELO \(clientName)", timeout: timeout)
        guard helo.isPositiveCompletion else {
            throw SMTPError.rejected(command: "HELO", reply: helo)
        }
        return nil
    }

    /// `AUTH PLAIN` (RFC 4616) when offered, else `AUTH LOGIN`.
    private static func authenticate(
        _ transport: SMTPTransport,
        username: String,
        password: String,
        capabilities: SMTPCapabilities,
        timeout: Duration
    ) async throws {
        let mechanisms = capabilities.authenticationMechanisms
        if mechanisms.contains("PLAIN") {
            let response = Base64.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
            let reply = try await transport.command("AUTH PLAIN \(response)", name: "AUTH PLAIN", timeout: timeout)
            try await Self.finishAuthentication(transport, reply, timeout: timeout)
        } else if mechanisms.contains("LOGIN") {
            var reply = try await transport.command("AUTH LOGIN", timeout: timeout)
            for secret in [username, password] {
                guard reply.code == 334 else { break }
                reply = try await transport.command(Base64.encode(Array(secret.utf8)), name: "AUTH LOGIN (credentials)", timeout: timeout)
            }
            try await Self.finishAuthentication(transport, reply, timeout: timeout)
        } else {
            throw SMTPError.authenticationNotSupported(offered: mechanisms.sorted())
        }
    }

    private static func finishAuthentication(_ transport: SMTPTransport, _ reply: SMTPReply, timeout: Duration) async throws {
        if reply.isPositiveCompletion { return }  // 235
        if reply.code == 334 {
            // The server wants more than this mechanism has to say: cancel the exchange.
            let cancelled = (try? await transport.command("*", name: "AUTH (cancel)", timeout: timeout)) ?? reply
            throw SMTPError.authenticationFailed(cancelled)
        }
        throw SMTPError.authenticationFailed(reply)
    }

    /// The name for `EHLO`: the configured one, or this machine's host name.
    private static func clientName(_ configuration: SMTPConfiguration) throws(SMTPError) -> String {
        let name = configuration.clientName ?? Self.hostName()
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalidConfiguration("the EHLO name '\(name)' must be printable ASCII without spaces")
        }
        return name
    }

    private static func hostName() -> String {
        var bytes = [CChar](repeating: 0, count: 256)
        guard gethostname(&bytes, bytes.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: bytes.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty || !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) ? "localhost" : name
    }

    private static func connectError(_ error: any Error, configuration: SMTPConfiguration) -> SMTPError {
        let host = configuration.host
        let port = configuration.port
        if let error = error as? SMTPError { return error }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .connectTimeout(host: host, port: port)
        }
        if let connectionError = error as? NIOConnectionError {
            let failures = connectionError.connectionErrors.map(\.error)
            if failures.contains(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
                return .connectionRefused(host: host, port: port, reason: "connection refused")
            }
            if failures.contains(where: { if case .connectTimeout? = $0 as? ChannelError { true } else { false } }) {
                return .connectTimeout(host: host, port: port)
            }
            if let first = failures.first {
                return .connectionRefused(host: host, port: port, reason: "\(first)")
            }
            return .connectionRefused(host: host, port: port, reason: "could not resolve host name")
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED {
            return .connectionRefused(host: host, port: port, reason: "connection refused")
        }
        if error is NIOSSLExtraError || error is NIOSSLError || error is BoringSSLError {
            return SMTPConnectionHandler.tlsError(error)
        }
        return .connectionRefused(host: host, port: port, reason: "\(error)")
    }
}
