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

    @Test("nextBatch takes what has arrived without waiting for more; one multiple ack settles the batch")
    func batches() async throws {
        try await withBroker { connection in
            let queue = uniqueName("batch")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: false)
            try await channel.enablePublisherConfirms()
            for i in 0..<10 { try await channel.publish("\(i)", routingKey: queue) }

            let consumer = try await channel.consume(queue: queue)
            // Let every delivery reach the client: the queue has none ready, then a moment more.
            try await withTimeout("deliveries") {
                while try await channel.inspectQueue(queue).messageCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let box = BatchIteratorBox(consumer.makeAsyncIterator())
            let first = try #require(try await withTimeout("first batch") { try await box.nextBatch(max: 4) })
            #expect(first.map(\.bodyString) == ["0", "1", "2", "3"], "up to max, in order")
            let rest = try #require(try await withTimeout("second batch") { try await box.nextBatch(max: 100) })
            #expect(rest.map(\.bodyString) == ["4", "5", "6", "7", "8", "9"], "what was buffered, without waiting for 100")

            // One more message arrives later: a batch of one, not a wait for more.
            let late = Task { try await box.nextBatch(max: 100) }
            try await Task.sleep(for: .milliseconds(100))
            try await channel.publish("late", routingKey: queue)
            let lateBatch = try #require(try await withTimeout("late batch") { try await late.value })
            #expect(lateBatch.map(\.bodyString) == ["late"])

            try lateBatch[0].ack(multiple: true)
            try await consumer.cancel()
            #expect(try await withTimeout("end") { try await box.nextBatch(max: 100) } == nil, "nil once cancelled")
            try await channel.close()
            let check = try await connection.openChannel()
            #expect(try await check.inspectQueue(queue).messageCount == 0, "the one ack settled all eleven")
            try await check.deleteQueue(queue)
        }
    }

    @Test("cancelling the task waiting in nextBatch cancels the consumer on the broker")
    func cancelWhileWaitingForABatch() async throws {
        try await withBroker { connection in
            let queue = uniqueName("batch.cancel")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: false)
            let consumer = try await channel.consume(queue: queue)
            let waiting = Task {
                var iterator = consumer.makeAsyncIterator()
                return try await iterator.nextBatch(max: 10)
            }
            // Inspected on another channel: the consumer's channel sends basic.cancel by itself.
            let inspector = try await connection.openChannel()
            #expect(try await withTimeout("consumer registered") { try await inspector.inspectQueue(queue).consumerCount } == 1)
            waiting.cancel()
            #expect(try await withTimeout("cancelled wait") { try await waiting.value } == nil)
            try await withTimeout("broker consumer cancelled") {
                while try await inspector.inspectQueue(queue).consumerCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            try await inspector.deleteQueue(queue)
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

/// Moves a consumer iterator into `@Sendable` closures (used by one task at a time).
final class BatchIteratorBox: @unchecked Sendable {
    // Safe: the tests call it from one task at a time (each call awaited before the next).
    private var iterator: AMQPConsumer.AsyncIterator
    init(_ iterator: AMQPConsumer.AsyncIterator) { self.iterator = iterator }
    func nextBatch(max: Int) async throws -> [AMQPDelivery]? { try await iterator.nextBatch(max: max) }
}
