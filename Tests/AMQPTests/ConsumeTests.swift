import AMQP
import EmporiumTestSupport
import NIOCore
import Testing

@Suite("Broker: consuming", .enabled(if: TestBroker.isAvailable, TestBroker.skipReason))
struct ConsumeTests {
    @Test("a delivery not acked before its channel closes is redelivered with redelivered=true")
    func redeliveredAfterChannelClose() async throws {
        try await withBroker { connection in
            let queue = uniqueName("redeliver")
            let setup = try await connection.openChannel()
            try await setup.declareQueue(queue, durable: false, autoDelete: false)
            try await setup.enablePublisherConfirms()
            try await setup.publish("important", routingKey: queue)

            let first = try await connection.openChannel()
            let firstConsumer = try await first.consume(queue: queue)
            var firstIterator = firstConsumer.makeAsyncIterator()
            let unacked = try await nextDelivery(&firstIterator)
            #expect(unacked.bodyString == "important")
            #expect(unacked.redelivered == false)
            try await first.close()

            let second = try await connection.openChannel()
            let secondConsumer = try await second.consume(queue: queue)
            var secondIterator = secondConsumer.makeAsyncIterator()
            let again = try await nextDelivery(&secondIterator)
            #expect(again.bodyString == "important")
            #expect(again.redelivered == true)
            try await again.ack()
            try await setup.deleteQueue(queue)
        }
    }

    @Test("a delivery not acked before its connection closes is redelivered to another connection")
    func redeliveredAfterConnectionClose() async throws {
        try await withBroker { connection in
            let queue = uniqueName("redeliver.conn")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: false)
            try await channel.enablePublisherConfirms()
            try await channel.publish("payload", routingKey: queue)

            let other = try await TestBroker.connect()
            let otherChannel = try await other.openChannel()
            let otherConsumer = try await otherChannel.consume(queue: queue)
            var otherIterator = otherConsumer.makeAsyncIterator()
            let unacked = try await nextDelivery(&otherIterator)
            #expect(unacked.redelivered == false)
            await other.close()
            // The closed connection's consumer sequence ended without error.
            #expect(try await nextOrEnd(&otherIterator) == nil)

            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()
            let again = try await nextDelivery(&iterator)
            #expect(again.bodyString == "payload")
            #expect(again.redelivered == true)
            try await again.ack()
            try await channel.deleteQueue(queue)
        }
    }

    @Test("nack with requeue=true delivers again; requeue=false drops the message")
    func nackRequeue() async throws {
        try await withBroker { connection in
            let queue = uniqueName("nack")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: false)
            try await channel.enablePublisherConfirms()
            try await channel.publish("retry me", routingKey: queue)
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()

            let first = try await nextDelivery(&iterator)
            try await first.nack(requeue: true)
            let second = try await nextDelivery(&iterator)
            #expect(second.bodyString == "retry me")
            #expect(second.redelivered == true)
            try await second.nack(requeue: false)
            try await consumer.cancel()
            #expect(try await nextOrEnd(&iterator) == nil)
            let info = try await channel.inspectQueue(queue)
            #expect(info.messageCount == 0)
            try await channel.deleteQueue(queue)
        }
    }

    @Test("prefetch limits unacknowledged deliveries per consumer")
    func prefetch() async throws {
        try await withBroker { connection in
            let queue = uniqueName("prefetch")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            try await channel.enablePublisherConfirms()
            for i in 0..<5 { try await channel.publish("\(i)", routingKey: queue) }
            try await channel.setPrefetch(count: 2)
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()
            let a = try await nextDelivery(&iterator)
            let b = try await nextDelivery(&iterator)
            // With two unacked deliveries out, the broker holds the other three back.
            let held = try await channel.inspectQueue(queue)
            #expect(held.messageCount == 3)
            try await a.ack()
            try await b.ack()
            for _ in 0..<3 { try await nextDelivery(&iterator).ack() }
            let drained = try await channel.inspectQueue(queue)
            #expect(drained.messageCount == 0)
        }
    }

    @Test("basic.get fetches one message, or nil from an empty queue")
    func get() async throws {
        try await withBroker { connection in
            let queue = uniqueName("get")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            #expect(try await channel.get(queue: queue) == nil)
            try await channel.enablePublisherConfirms()
            try await channel.publish("one", routingKey: queue, properties: AMQPProperties(messageID: "id-1"))
            let message = try #require(try await channel.get(queue: queue))
            #expect(message.bodyString == "one")
            #expect(message.properties.messageID == "id-1")
            try await message.ack()
            #expect(try await channel.get(queue: queue) == nil)
        }
    }
}

