import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Storage
import Synchronization
import Testing

/// A raw TCP connection to a server, to send bytes as slowly as a hostile client would and to see
/// exactly what the server sends back and when it closes.
final class RawConnection: Sendable {
    let channel: any Channel
    private let received: Received

    /// The bytes the server sent so far.
    private final class Received: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    /// Collects what the server sends.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Received
        init(_ received: Received) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.bytes.withLock { $0 += buffer.readableBytesView }
        }
    }

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    static func connect(port: Int) async throws -> RawConnection {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    var text: String { String(decoding: received.bytes.withLock { $0 }, as: UTF8.self) }
    var isOpen: Bool { channel.isActive }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text)).get()
    }

    func close() async {
        try? await channel.close().get()
    }

    /// Waits (at most `bound`) until the server closes the connection; false if it did not.
    func closedByServer(within bound: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + bound
        while clock.now < deadline {
            if !channel.isActive { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !channel.isActive
    }

    /// Sends a `GET` and waits (at most `bound`) for a whole response; returns its status line.
    func get(_ path: String, within bound: Duration = .seconds(30)) async throws -> String? {
        try await exchange("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n", within: bound)
    }

    /// Sends a whole request and waits (at most `bound`) for a whole response; returns its status line.
    func exchange(_ request: String, within bound: Duration = .seconds(30)) async throws -> String? {
        let start = received.bytes.withLock { $0.count }
        do {
            try await send(request)
        } catch {
            return nil  // closed by the server (refused, or timed out)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + bound
        while clock.now < deadline {
            let bytes = received.bytes.withLock { Array($0[start...]) }
            let response = String(decoding: bytes, as: UTF8.self)
            if let headEnd = response.range(of: "\r\n\r\n") {
                let head = response[..<headEnd.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if response.utf8.count - response[..<headEnd.upperBound].utf8.count >= length {
                    return response.split(separator: "\r\n").first.map(String.init)
                }
            }
            if !channel.isActive { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// The HTTP server against slow, idle and too many clients, on a real port.
@Suite("HTTP server limits")
struct ServerLimitsTests {
    /// Runs `body` with the port of a whole platform (SQLite) serving on 127.0.0.1.
    static func withLiveServer(_ extra: [String: String], _ body: @Sendable (Int) async throws -> Void) async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        do {
            let settings = try await TestPlatform.settings(database: url, extra: extra.merging(["seed.demo": "false"]) { new, _ in new })
            let platform = try await EmporiumPlatform.build(settings: settings, logger: TestDatabases.logger)
            try await platform.application.test(.live) { client in
                try await body(try #require(client.port))
            }
            await cleanup()
        } catch {
            await cleanup()
            throw error
        }
    }

    /// A client that sends its request head a byte at a time is closed once the head timeout
    /// passes, without an answer; a prompt client on another connection is answered meanwhile.
    @Test func slowRequestHeadIsClosed() async throws {
        try await Self.withLiveServer(["http.requestHeadTimeout": "1", "http.idleTimeout": "120"]) { port in
            let slow = try await RawConnection.connect(port: port)
            let dripping = Task {
                for byte in "GET /health/live HTTP/1.1\r\nHost: test\r\nX-Slow: " + String(repeating: "a", count: 10_000) {
                    try await slow.send(String(byte))
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let prompt = try await RawConnection.connect(port: port)
            #expect(try await prompt.get("/health/live")?.hasPrefix("HTTP/1.1 200") == true)
            #expect(await slow.closedByServer(within: .seconds(60)), "the slow client is closed")
            dripping.cancel()
            #expect(slow.text.isEmpty, "the slow client gets no answer")
            await prompt.close()
        }
    }

    /// A connection that sends nothing is closed after the head timeout; a kept-alive connection
    /// that goes silent after a response is closed after the idle timeout.
    @Test func silentConnectionsAreClosed() async throws {
        try await Self.withLiveServer(["http.requestHeadTimeout": "1", "http.idleTimeout": "2"]) { port in
            let silent = try await RawConnection.connect(port: port)
            let keptAlive = try await RawConnection.connect(port: port)
            #expect(try await keptAlive.get("/health/live")?.hasPrefix("HTTP/1.1 200") == true)
            #expect(await silent.closedByServer(within: .seconds(60)), "a connection that never sends is closed")
            #expect(await keptAlive.closedByServer(within: .seconds(60)), "an idle kept-alive connection is closed")
        }
    }

    /// Over `http.maxConnections`, a new connection is answered 503 and closed, while the open
    /// ones are still served, and a new one is served again once one closes.
    @Test func connectionsOverTheLimitAreRefused() async throws {
        // 4: HummingbirdTesting's live client holds one connection of its own, these three the rest.
        try await Self.withLiveServer(["http.maxConnections": "4", "http.requestHeadTimeout": "120", "http.idleTimeout": "120"]) { port in
            var open: [RawConnection] = []
            for _ in 0..<3 {
                let connection = try await RawConnection.connect(port: port)
                #expect(try await connection.get("/health/live")?.hasPrefix("HTTP/1.1 200") == true)
                open.append(connection)
            }
            // The refusal comes unasked: the connection over the limit sends nothing.
            let over = try await RawConnection.connect(port: port)
            #expect(await over.closedByServer(within: .seconds(30)), "a connection over the limit is closed")
            #expect(over.text.hasPrefix("HTTP/1.1 503"), "\(over.text)")
            #expect(over.text.contains("application/problem+json"))

            #expect(try await open[0].get("/health/live")?.hasPrefix("HTTP/1.1 200") == true, "an open connection is still served")
            await open[1].close()
            var served = false
            for _ in 0..<100 where !served {
                let next = try await RawConnection.connect(port: port)
                served = try await next.get("/health/live")?.hasPrefix("HTTP/1.1 200") == true
                if !served {
                    await next.close()
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(served, "a connection under the limit is served again")
            for connection in open { await connection.close() }
        }
    }

    /// A client that trickles a request body, a byte every 100 ms, gets a 408 problem and is
    /// closed once the body timeout passes, although it never stops sending (progress does not
    /// reset the deadline); a body sent at once on another connection is answered as usual.
    @Test func slowRequestBodyIsAnswered408() async throws {
        try await Self.withLiveServer(["http.requestBodyTimeout": "1", "http.requestHeadTimeout": "120", "http.idleTimeout": "120"]) { port in
            let body = #"{"email":"slow@example.com","password":""# + String(repeating: "p", count: 250) + #""}"#
            let slow = try await RawConnection.connect(port: port)
            try await slow.send(
                "POST /v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            )
            let dripping = Task {
                for byte in body {
                    try await slow.send(String(byte))
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let prompt = try await RawConnection.connect(port: port)
            let answer = try await prompt.exchange(
                "POST /v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            )
            #expect(answer?.hasPrefix("HTTP/1.1 400") == true, "a prompt body is read and judged: \(answer ?? "no answer")")
            #expect(await slow.closedByServer(within: .seconds(20)), "the slow body's connection is closed")
            dripping.cancel()
            #expect(slow.text.hasPrefix("HTTP/1.1 408"), "\(slow.text)")
            #expect(slow.text.lowercased().contains("content-type: application/problem+json"))
            #expect(slow.text.contains(#""type":"https://emporium.dev/problems/request-timeout""#))
            #expect(slow.text.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer only, not the handler's too: \(slow.text)")
            #expect(prompt.isOpen, "the prompt connection is kept alive")
            await prompt.close()
        }
    }

    /// Without `http.maxConnections`, the limit is the file-descriptor limit less room for
    /// databases and brokers; the timeouts have their defaults and environment variables.
    @Test func limitsAreConfigured() async throws {
        let config = try await ConfigurationLoader.reader(
            flags: [:],
            environment: [
                "EMPORIUM_HTTP_REQUEST_HEAD_TIMEOUT": "7", "EMPORIUM_HTTP_REQUEST_BODY_TIMEOUT": "20", "EMPORIUM_HTTP_IDLE_TIMEOUT": "30",
            ],
            file: nil
        )
        let settings = try RuntimeSettings(config: config, serviceNames: [])
        let limits = settings.httpServerLimits(fileDescriptorLimit: 1024)
        #expect(limits == HTTPServerLimits(
            requestHeadTimeout: .seconds(7), requestBodyTimeout: .seconds(20), idleTimeout: .seconds(30), maxConnections: 896
        ))
        #expect(settings.httpServerLimits(fileDescriptorLimit: 1_048_576).maxConnections == 917_504)

        let defaults = try RuntimeSettings(config: try await ConfigurationLoader.reader(flags: [:], environment: [:], file: nil), serviceNames: [])
        #expect(defaults.requestHeadTimeout == .seconds(10))
        #expect(defaults.requestBodyTimeout == .seconds(30))
        #expect(defaults.idleTimeout == .seconds(60))
        let configured = try await ConfigurationLoader.reader(flags: [:], environment: ["EMPORIUM_HTTP_MAX_CONNECTIONS": "500"], file: nil)
        #expect(try RuntimeSettings(config: configured, serviceNames: []).httpServerLimits(fileDescriptorLimit: 1024).maxConnections == 500)
        let bad = try await ConfigurationLoader.reader(flags: [:], environment: ["EMPORIUM_HTTP_MAX_CONNECTIONS": "0"], file: nil)
        #expect(throws: ConfigurationError.self) { try RuntimeSettings(config: bad, serviceNames: []) }
        let badBody = try await ConfigurationLoader.reader(flags: [:], environment: ["EMPORIUM_HTTP_REQUEST_BODY_TIMEOUT": "0"], file: nil)
        #expect(throws: ConfigurationError.self) { try RuntimeSettings(config: badBody, serviceNames: []) }
    }

    /// The soft descriptor limit is raised to the hard one where allowed.
    @Test func fileDescriptorLimitIsRaised() throws {
        let soft = try #require(FileDescriptorLimit.raiseSoftLimit())
        let current = try #require(FileDescriptorLimit.current())
        #expect(current.soft == soft)
        if let hard = current.hard { #expect(soft <= hard) }
        #if os(Linux)
        #expect(soft == current.hard ?? Int.max, "Linux lets a process raise its soft limit to the hard one")
        #endif
    }
}
