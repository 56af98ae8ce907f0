import NIOCore
import NIOPosix
import EmporiumTestSupport
import Testing

@testable import AMQP

@Suite("Connection behaviour against a scripted peer")
struct FakeBrokerTests {
    private func connect(port: Int, heartbeat: Duration = .seconds(60), frameMax: UInt32 = 131_072) async throws -> AMQPConnection {
        let configuration = AMQPConfiguration(
            host: "127.0.0.1", port: port, heartbeat: heartbeat, frameMax: frameMax, connectTimeout: .seconds(20),
            operationTimeout: .seconds(120), reconnect: .disabled)
        return try await withTimeout("connect to the fake broker") {
            try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
        }
    }

    @Test("tune: the lower limits win and the client confirms them in tune-ok")
    func tuneNegotiation() async throws {
        let broker = FakeBroker(script: .init(channelMax: 10, frameMax: 8192, heartbeat: 0))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(port: port, heartbeat: .seconds(30))
        let negotiated = await connection.negotiated
        #expect(negotiated == AMQPNegotiatedParameters(channelMax: 10, frameMax: 8192, heartbeatSeconds: 30))
        let methods = broker.receivedMethods
        #expect(methods.contains(.connectionTuneOk(channelMax: 10, frameMax: 8192, heartbeat: 30)))
        #expect(methods.contains(.connectionOpen(virtualHost: "/")))
        guard case .connectionStartOk(let properties, let mechanism, let response, _)? = methods.first else {
            Issue.record("first method was not start-ok: \(methods)")
            return
        }
        #expect(mechanism == "PLAIN")
        #expect(response == "\u{0}guest\u{0}guest")
        guard case .table(let capabilities)? = properties["capabilities"] else {
            Issue.record("no capabilities in client properties")
            return
        }
        #expect(capabilities["publisher_confirms"] == true)
        #expect(capabilities["authentication_failure_close"] == true)
        await connection.close()
    }

    @Test("a silent peer is declared dead after two missed heartbeat intervals; pending calls fail")
    func deadPeer() async throws {
        let broker = FakeBroker(script: .init(heartbeat: 1, answerChannelOpen: false))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(port: port, heartbeat: .seconds(1))
        // channel.open is never answered; only the heartbeat check can end the wait
        // (the operation timeout is two minutes).
        let error = await #expect(throws: AMQPError.self) {
            try await withTimeout("dead peer detection", .seconds(30)) {
                try await connection.openChannel()
            }
        }
        guard case .connectionLost(let broker, let reason)? = error else {
            Issue.record("expected connectionLost, got \(String(describing: error))")
            return
        }
        #expect(broker == "127.0.0.1:\(port)")
        #expect(reason.contains("heartbeat"))
        #expect(await connection.isConnected == false)
    }

    @Test("an idle client sends heartbeats so the broker keeps it")
    func sendsHeartbeats() async throws {
        let broker = FakeBroker(script: .init(heartbeat: 1))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        let connection = try await connect(port: port, heartbeat: .seconds(1))
        try await withTimeout("a heartbeat from the client") {
            while broker.receivedHeartbeats == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(broker.receivedHeartbeats > 0)
        await connection.close()
    }

    @Test("a peer hanging up after start-ok is reported as refused credentials")
    func hangUpDuringAuthentication() async throws {
        let broker = FakeBroker(script: .init(closeAfterStartOk: true))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        // A generous handshake timeout: on a loaded machine the scripted peer can be slow to answer.
        let configuration = AMQPConfiguration(host: "127.0.0.1", port: port, user: "svc", connectTimeout: .seconds(20))
        let error = await #expect(throws: AMQPError.self) {
            try await withTimeout("connect") {
                try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
            }
        }
        guard case .accessRefused(let address, let user, _, let reason)? = error else {
            Issue.record("expected accessRefused, got \(String(describing: error))")
            return
        }
        #expect(address == "127.0.0.1:\(port)")
        #expect(user == "svc")
        #expect(reason.contains("authentication"))
    }

    @Test("a peer that accepts TCP but never speaks AMQP is unreachable after the connect timeout")
    func silentPeer() async throws {
        let broker = FakeBroker(script: .init(silentFromStart: true))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        let configuration = AMQPConfiguration(host: "127.0.0.1", port: port, connectTimeout: .milliseconds(500))
        let error = await #expect(throws: AMQPError.self) {
            try await withTimeout("connect") {
                try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
            }
        }
        guard case .brokerUnreachable(let address, let reason)? = error else {
            Issue.record("expected brokerUnreachable, got \(String(describing: error))")
            return
        }
        #expect(address == "127.0.0.1:\(port)")
        #expect(reason.contains("no AMQP handshake answer"))
    }

    @Test("a port nobody listens on gives brokerUnreachable naming host:port")
    func closedPort() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        try await server.close()

        let configuration = AMQPConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(5))
        let error = await #expect(throws: AMQPError.self) {
            try await withTimeout("connect to a closed port") {
                try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
            }
        }
        guard case .brokerUnreachable(let broker, _)? = error else {
            Issue.record("expected brokerUnreachable, got \(String(describing: error))")
            return
        }
        #expect(broker == "127.0.0.1:\(port)")
        #expect("\(error!)".contains("127.0.0.1:\(port)"))
    }
}

@Suite("Service lifecycle")
struct ServiceLifecycleTests {
    @Test("run() closes the connection when its task is cancelled")
    func runClosesOnCancellation() async throws {
        let broker = FakeBroker(script: .init(answerChannelOpen: true))
        let port = try await broker.start()
        defer { Task { await broker.stop() } }
        let configuration = AMQPConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(5), reconnect: .disabled)
        let connection = try await withTimeout("connect") {
            try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
        }
        _ = try await withTimeout("open a channel") { try await connection.openChannel() }
        let service = Task { try await connection.run() }
        #expect(await connection.isConnected)
        service.cancel()
        try await withTimeout("service to stop") { try await service.value }
        #expect(await connection.isConnected == false)
        #expect(broker.receivedMethods.contains(.connectionClose(replyCode: 200, replyText: "closed by the application", classID: 0, methodID: 0)))
    }
}
