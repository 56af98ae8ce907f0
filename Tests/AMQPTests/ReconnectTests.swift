import AMQP
import EmporiumTestSupport
import NIOCore
import Testing

@Suite(
    "Broker: outage and reconnect",
    .enabled(if: TestBroker.isAvailable && TestBroker.rabbitmqctl != nil, TestBroker.skipReason))
struct ReconnectTests {
    @Test("stop_app then start_app: typed errors while down, then reconnect, re-declared topology, publishing resumes")
    func outage() async throws {
        try await BrokerGate.shared.exclusive {
            let policy = AMQPReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(500))
            let connection = try await TestBroker.connect(reconnect: policy)
            // Transient entities: the broker forgets them when its app stops, so they only
            // exist after the restart if the client declares them again.
            let exchange = uniqueName("outage")
            let queue = uniqueName("outage.q")
            let channel = try await connection.openChannel()
            try await channel.declareExchange(exchange, type: .direct, durable: false)
            try await channel.declareQueue(queue, durable: false, exclusive: true)
            try await channel.bindQueue(queue, exchange: exchange, routingKey: "k")
            try await channel.setPrefetch(count: 5)
            try await channel.enablePublisherConfirms()
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()

            try await channel.publish("before", exchange: exchange, routingKey: "k")
            let before = try await nextDelivery(&iterator)
            #expect(before.bodyString == "before")
            try await before.ack()

            // Publishers keep messages in flight while the broker goes away; each stops at
            // its first error, which must be typed.
            let publishers = Task {
                try await withThrowingTaskGroup(of: (Int, AMQPError?).self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            var sent = 0
                            while true {
                                do {
                                    try await channel.publish("load-\(worker)-\(sent)", exchange: exchange, routingKey: "k")
                                    sent += 1
                                } catch let error as AMQPError {
                                    return (sent, error)
                                } catch {
                                    return (sent, nil)
                                }
                            }
                        }
                    }
                    var results: [(Int, AMQPError?)] = []
                    for try await result in group { results.append(result) }
                    return results
                }
            }

            var brokerStopped = false
            do {
                _ = try await TestBroker.ctl("stop_app")
                brokerStopped = true
                let results = try await withTimeout("publishers to fail while the broker is down", .seconds(60)) {
                    try await publishers.value
                }
                #expect(results.count == 8)
                for (_, error) in results {
                    let error = try #require(error, "a publisher failed with an error that is not an AMQPError")
                    switch error {
                    case .connectionLost, .connectionClosed: break
                    default: Issue.record("unexpected error while the broker is down: \(error)")
                    }
                }
                #expect(await connection.isConnected == false)

                // Still down: new publishes fail at once with a typed error.
                let whileDown = await #expect(throws: AMQPError.self) {
                    try await withTimeout("publish while down") {
                        try await channel.publish("during", exchange: exchange, routingKey: "k")
                    }
                }
                if case .connectionLost(let broker, _)? = whileDown {
                    #expect(broker == connection.configuration.brokerAddress)
                } else {
                    Issue.record("expected connectionLost while down, got \(String(describing: whileDown))")
                }
            } catch {
                publishers.cancel()
                if brokerStopped { _ = try? await TestBroker.ctl("start_app") }
                throw error
            }

            _ = try await TestBroker.ctl("start_app")
            try await withTimeout("reconnect after start_app", .seconds(90)) {
                try await connection.waitUntilConnected()
            }
            #expect(await connection.reconnectCount >= 1)
            #expect(await channel.isOpen)

            // Drain what the load publishers got through before the outage ("load-...").
            // Publishing on the same channel works again (confirm mode restored), through
            // the re-declared exchange and binding, to the re-declared queue, and the
            // re-created consumer receives it.
            try await withTimeout("publish after reconnect") {
                try await channel.publish("after", exchange: exchange, routingKey: "k")
            }
            var received: String
            repeat {
                let delivery = try await nextDelivery(&iterator, "message published after the reconnect")
                received = delivery.bodyString
                try await delivery.ack()
            } while received.hasPrefix("load-")
            #expect(received == "after")
            await connection.close()
        }
    }

    @Test("a connection the broker closes is re-established; consumers resume without the gate")
    func brokerClosesConnection() async throws {
        try await BrokerGate.shared.shared {
            let name = uniqueName("forced")
            var configuration = try TestBroker.configuration(
                reconnect: AMQPReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)))
            configuration.connectionName = name
            let connection = try await withTimeout("connect") { [configuration] in
                try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
            }
            let channel = try await connection.openChannel()
            let queue = uniqueName("forced.q")
            try await channel.declareQueue(queue, durable: false, exclusive: true)
            try await channel.enablePublisherConfirms()
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()

            try await TestBroker.closeConnection(named: name, reason: "closed by test")
            try await withTimeout("reconnect", .seconds(60)) {
                while await connection.reconnectCount == 0 { try await Task.sleep(for: .milliseconds(20)) }
                try await connection.waitUntilConnected()
            }
            try await withTimeout("publish after reconnect") {
                try await channel.publish("resumed", routingKey: queue)
            }
            let delivery = try await nextDelivery(&iterator)
            #expect(delivery.bodyString == "resumed")
            try await delivery.ack()
            await connection.close()
        }
    }

    @Test("without reconnect, a connection the broker closes stays closed and says why")
    func noReconnect() async throws {
        try await BrokerGate.shared.shared {
            let name = uniqueName("forced.final")
            var configuration = try TestBroker.configuration(reconnect: .disabled)
            configuration.connectionName = name
            let connection = try await withTimeout("connect") { [configuration] in
                try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
            }
            let channel = try await connection.openChannel()
            let queue = uniqueName("forced.final.q")
            try await channel.declareQueue(queue, durable: false, exclusive: true)
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()

            try await TestBroker.closeConnection(named: name, reason: "closed by test")
            let streamError = await #expect(throws: AMQPError.self) {
                _ = try await nextOrEnd(&iterator, "consumer failure after the forced close")
            }
            #expect(streamError?.replyCode == 320)
            #expect("\(streamError!)".contains("closed by test"))
            let later = await #expect(throws: AMQPError.self) { try await connection.openChannel() }
            #expect(later?.replyCode == 320)
            #expect(await connection.isConnected == false)
            await connection.close()
        }
    }
}
