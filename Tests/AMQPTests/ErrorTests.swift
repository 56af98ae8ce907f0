import AMQP
import EmporiumTestSupport
import NIOCore
import Testing

@Suite("Broker: typed errors", .enabled(if: TestBroker.isAvailable, TestBroker.skipReason))
struct ErrorTests {
    @Test("a wrong password is refused with an error naming the broker and the user")
    func wrongPassword() async throws {
        try await BrokerGate.shared.shared {
            var configuration = try TestBroker.configuration()
            configuration.password = "definitely-wrong"
            let error = try await withTimeout("connect with a wrong password") { [configuration] in
                await #expect(throws: AMQPError.self) {
                    try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
                }
            }
            guard case .accessRefused(let broker, let user, let vhost, let reason)? = error else {
                Issue.record("expected accessRefused, got \(String(describing: error))")
                return
            }
            #expect(broker == configuration.brokerAddress)
            #expect(user == "guest")
            #expect(vhost == "/")
            #expect(reason.contains("ACCESS_REFUSED"))
            let text = "\(error!)"
            #expect(text.contains(configuration.brokerAddress))
            #expect(text.contains("'guest'"))
            #expect(!text.contains("definitely-wrong"))
        }
    }

    @Test("a virtual host that does not exist is refused")
    func unknownVhost() async throws {
        try await BrokerGate.shared.shared {
            var configuration = try TestBroker.configuration()
            configuration.virtualHost = uniqueName("no-such-vhost")
            let error = try await withTimeout("connect to a missing vhost") { [configuration] in
                await #expect(throws: AMQPError.self) {
                    try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
                }
            }
            guard case .accessRefused(_, _, let vhost, let reason)? = error else {
                Issue.record("expected accessRefused, got \(String(describing: error))")
                return
            }
            #expect(vhost == configuration.virtualHost)
            #expect(reason.contains("NOT_ALLOWED"))
        }
    }

    @Test("publishing to a missing exchange fails with channelClosed 404; the connection stays usable")
    func missingExchange() async throws {
        try await withBroker { connection in
            let channel = try await connection.openChannel()
            try await channel.enablePublisherConfirms()
            let missing = uniqueName("missing-exchange")
            let error = try await withTimeout("publish to a missing exchange") {
                await #expect(throws: AMQPError.self) {
                    try await channel.publish("lost", exchange: missing, routingKey: "x")
                }
            }
            #expect(error?.replyCode == 404)
            guard case .channelClosed(_, let text, let method)? = error else {
                Issue.record("expected channelClosed, got \(String(describing: error))")
                return
            }
            #expect(text.contains("NOT_FOUND"))
            #expect(text.contains(missing))
            #expect(method?.contains("basic.publish") == true)
            #expect(await channel.isOpen == false)

            // The closed channel keeps reporting why it closed.
            let later = await #expect(throws: AMQPError.self) {
                try await channel.publish("again", routingKey: "x")
            }
            #expect(later?.replyCode == 404)

            // The connection and new channels work.
            #expect(await connection.isConnected)
            let fresh = try await connection.openChannel()
            let queue = uniqueName("after-404")
            try await fresh.declareQueue(queue, durable: false, autoDelete: true)
            try await fresh.enablePublisherConfirms()
            try await withTimeout("publish after the 404") {
                try await fresh.publish("ok", routingKey: queue)
            }
            #expect(try await fresh.inspectQueue(queue).messageCount == 1)
        }
    }

    @Test("re-declaring a queue with other arguments fails with channelClosed 406")
    func preconditionFailed() async throws {
        try await withBroker { connection in
            let queue = uniqueName("conflict")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            let error = await #expect(throws: AMQPError.self) {
                try await channel.declareQueue(queue, durable: true)
            }
            #expect(error?.replyCode == 406)
            #expect("\(error!)".contains("PRECONDITION_FAILED"))
            #expect(await connection.isConnected)
        }
    }
}
