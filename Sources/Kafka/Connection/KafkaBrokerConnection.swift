import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to one Kafka broker, with the API versions agreed with it.
///
/// Requests may be sent concurrently from many tasks: each is written at once and its response
/// is matched by correlation id, so they pipeline on the one connection. Kafka processes the
/// requests of one connection in order, so a request the broker holds (a long-polling Fetch, a
/// JoinGroup waiting for the rebalance) delays those behind it: ``KafkaClient`` keeps separate
/// connections for such traffic.
///
/// Most code uses a ``KafkaClient``, which opens these as needed.
public final class KafkaBrokerConnection: Sendable {
    /// The broker's address as `host:port`.
    public let broker: String
    /// The versions agreed with this broker for each API.
    public let versions: KafkaNegotiatedVersions
    /// The time limit for a response when a request gives none.
    public let requestTimeout: Duration

    private let clientId: String
    private let channel: any Channel
    private let handler: NIOLoopBound<KafkaConnectionHandler>

    private init(broker: String, versions: KafkaNegotiatedVersions, requestTimeout: Duration, clientId: String, channel: any Channel, handler: NIOLoopBound<KafkaConnectionHandler>) {
        self.broker = broker
        self.versions = versions
        self.requestTimeout = requestTimeout
        self.clientId = clientId
        self.channel = channel
        self.handler = handler
    }

    /// Opens a connection and negotiates API versions (ApiVersions v3, or the highest version the
    /// broker names when it does not know v3).
    ///
    /// - Throws: ``KafkaError/brokerUnreachable(broker:reason:)`` when no TCP connection can be
    ///   made; ``KafkaError/requestTimedOut(api:broker:after:)`` or another ``KafkaError`` when the
    ///   negotiation fails.
    public static func connect(
        host: String,
        port: Int,
        clientId: String = "emporium",
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        logger: Logger = Logger(label: "emporium.kafka")
    ) async throws -> KafkaBrokerConnection {
        let broker = KafkaBrokerAddress(host: host, port: port).description
        let channel: any Channel
        let handler: NIOLoopBound<KafkaConnectionHandler>
        do {
            (channel, handler) = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = KafkaConnectionHandler(broker: broker)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
        } catch {
            throw KafkaError.brokerUnreachable(broker: broker, reason: Self.describeConnectError(error))
        }

        do {
            let versions = try await Self.negotiate(channel: channel, handler: handler, broker: broker, clientId: clientId, timeout: requestTimeout)
            logger.debug("connected to Kafka broker", metadata: ["kafka.broker": "\(broker)"])
            return KafkaBrokerConnection(broker: broker, versions: versions, requestTimeout: requestTimeout, clientId: clientId, channel: channel, handler: handler)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private static func negotiate(
        channel: any Channel,
        handler: NIOLoopBound<KafkaConnectionHandler>,
        broker: String,
        clientId: String,
        timeout: Duration
    ) async throws -> KafkaNegotiatedVersions {
        var version = KafkaAPI.apiVersions.versions.upperBound
        for _ in 0..<2 {
            let response = try await Self.send(ApiVersionsRequest(), version: version, channel: channel, handler: handler, clientId: clientId, timeout: timeout)
            switch response.errorCode {
            case .noError:
                return KafkaNegotiatedVersions(brokerRanges: response.ranges)
            case .unsupportedVersion:
                // The broker answered in v0 with its own range for ApiVersions: retry with it.
                guard let theirs = response.ranges[KafkaAPI.apiVersions.key], theirs.upperBound < version else {
                    version = 0
                    continue
                }
                version = max(0, min(theirs.upperBound, KafkaAPI.apiVersions.versions.upperBound))
            default:
                throw KafkaError.broker(code: response.errorCode, context: "ApiVersions from \(broker)", message: nil)
            }
        }
        throw KafkaError.unsupportedVersion(api: "ApiVersions", broker: broker, brokerRange: nil, clientRange: KafkaAPI.apiVersions.versions)
    }

    /// Whether the connection is still open. A closed connection fails every request with
    /// ``KafkaError/connectionClosed(broker:)``.
    public var isOpen: Bool {
        self.channel.isActive
    }

    /// Sends `request` in the agreed version and decodes its response.
    func send<Request: KafkaRequest>(_ request: Request, timeout: Duration? = nil) async throws -> Request.Response {
        let version = try self.versions.version(of: Request.api, broker: self.broker)
        return try await Self.send(request, version: version, channel: self.channel, handler: self.handler, clientId: self.clientId, timeout: timeout ?? self.requestTimeout)
    }

    /// The version agreed for `api`.
    func version(of api: KafkaAPI) throws(KafkaError) -> Int16 {
        try self.versions.version(of: api, broker: self.broker)
    }

    /// Closes the connection; requests still waiting fail with ``KafkaError/connectionClosed(broker:)``.
    public func close() async {
        try? await self.channel.close()
    }

    /// A future that completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.channel.closeFuture
    }

    private static func send<Request: KafkaRequest>(
        _ request: Request,
        version: Int16,
        channel: any Channel,
        handler: NIOLoopBound<KafkaConnectionHandler>,
        clientId: String,
        timeout: Duration
    ) async throws -> Request.Response {
        let api = Request.api
        var writer = KafkaWriter(flexible: api.isFlexible(version))
        request.encode(into: &writer, version: version)
        let encoded = EncodedRequest(api: api, version: version, clientId: clientId, body: writer.buffer, expectsResponse: request.expectsResponse)

        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        if channel.eventLoop.inEventLoop {
            handler.value.write(encoded, timeout: timeout, promise: promise)
        } else {
            channel.eventLoop.execute {
                handler.value.write(encoded, timeout: timeout, promise: promise)
            }
        }
        let body = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
        var reader = KafkaReader(buffer: body, flexible: api.isFlexible(version), api: "\(api.name) v\(version)")
        return try Request.decode(from: &reader, version: version)
    }

    private static func describeConnectError(_ error: any Error) -> String {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return "connect timed out"
        }
        if let connectionError = error as? NIOConnectionError {
            let failures = connectionError.connectionErrors.map(\.error)
            if failures.contains(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
                return "connection refused"
            }
            if let first = failures.first {
                return "\(first)"
            }
            return "could not resolve host name"
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED {
            return "connection refused"
        }
        return "\(error)"
    }
}

/// A broker's host and port.
public struct KafkaBrokerAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// The given host and port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[v6]:port` for IPv6 literals); the port defaults to 9092.
    /// - Throws: ``KafkaError/invalidURL(_:reason:)``.
    public init(parsing text: String) throws(KafkaError) {
        var hostPart = Substring(text)
        var port = 9092
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidURL(text, reason: "unterminated IPv6 literal") }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = Int(rest.dropFirst()), (1...65535).contains(value) else { throw .invalidURL(text, reason: "bad port") }
                port = value
            } else if !rest.isEmpty {
                throw .invalidURL(text, reason: "unexpected text after the IPv6 literal")
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            guard let value = Int(text[text.index(after: colon)...]), (1...65535).contains(value) else {
                throw .invalidURL(text, reason: "bad port '\(text[text.index(after: colon)...])'")
            }
            port = value
        }
        guard !hostPart.isEmpty else { throw .invalidURL(text, reason: "missing host") }
        self.init(host: String(hostPart), port: port)
    }

    /// "host:port", or "[v6]:port".
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
