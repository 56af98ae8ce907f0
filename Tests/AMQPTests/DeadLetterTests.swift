import AMQP
import EmporiumTestSupport
import NIOCore
import Testing

@Suite("Broker: dead-lettering", .enabled(if: TestBroker.isAvailable, TestBroker.skipReason))
struct DeadLetterTests {
    @Test("a poison message nacked maxDeliveries times lands in the dead-letter queue while others flow")
    func poisonMessage() async throws {
        try await withBroker { connection in
            let exchange = uniqueName("events")
            let topology = AMQPDeadLetterTopology(
                queue: uniqueName("billing"),
                bindings: [.init(exchange: exchange, routingKey: "order.#")])
            #expect(topology.maxDeliveries == 5)
            let channel = try await connection.openChannel()
            try await topology.declare(on: channel)
            try await channel.enablePublisherConfirms()
            try await channel.setPrefetch(count: 10)

            try await channel.publish("good-1", exchange: exchange, routingKey: "order.placed")
            try await channel.publish("poison", exchange: exchange, routingKey: "order.placed")
            try await channel.publish("good-2", exchange: exchange, routingKey: "order.placed")

            let consumer = try await channel.consume(queue: topology.queue)
            var iterator = consumer.makeAsyncIterator()
            var poisonDeliveries = 0
            var good: Set<String> = []
            var publishedLate = false
            while poisonDeliveries < topology.maxDeliveries || good.count < 5 {
                let delivery = try await nextDelivery(&iterator, "poison \(poisonDeliveries), good \(good.sorted())")
                if delivery.bodyString == "poison" {
                    poisonDeliveries += 1
                    #expect(delivery.redelivered == (poisonDeliveries > 1))
                    try await delivery.nack(requeue: true)
                    if poisonDeliveries == 2 && !publishedLate {
                        // Messages published while the poison message cycles still get through.
                        publishedLate = true
                        for name in ["good-3", "good-4", "good-5"] {
                            try await channel.publish(name, exchange: exchange, routingKey: "order.placed")
                        }
                    }
                } else {
                    good.insert(delivery.bodyString)
                    try await delivery.ack()
                }
            }
            #expect(poisonDeliveries == 5)
            #expect(good == ["good-1", "good-2", "good-3", "good-4", "good-5"])

            // The fifth failure moved it to the dead-letter queue.
            let checker = try await connection.openChannel()
            let dead = try await withTimeout("poison message in the dead-letter queue") {
                while true {
                    if let message = try await checker.get(queue: topology.deadLetterQueue) { return message }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(dead.bodyString == "poison")
            #expect(dead.properties.headers?["x-first-death-reason"]?.stringValue == "delivery_limit")
            #expect(dead.properties.headers?["x-first-death-queue"]?.stringValue == topology.queue)
            try await dead.ack()
            #expect(try await checker.inspectQueue(topology.queue).messageCount == 0)
            #expect(try await checker.inspectQueue(topology.deadLetterQueue).messageCount == 0)

            try await consumer.cancel()
            try await checker.deleteQueue(topology.queue)
            try await checker.deleteQueue(topology.deadLetterQueue)
            try await checker.deleteExchange(topology.deadLetterExchange)
            try await checker.deleteExchange(exchange)
        }
    }

    @Test("a message nacked with requeue=false is dead-lettered at once")
    func nackWithoutRequeue() async throws {
        try await withBroker { connection in
            let topology = AMQPDeadLetterTopology(queue: uniqueName("reject"), maxDeliveries: 3)
            let channel = try await connection.openChannel()
            try await topology.declare(on: channel)
            try await channel.enablePublisherConfirms()
            try await channel.publish("bad", routingKey: topology.queue)
            let consumer = try await channel.consume(queue: topology.queue)
            var iterator = consumer.makeAsyncIterator()
            try await nextDelivery(&iterator).nack(requeue: false)
            let dead = try await withTimeout("message in the dead-letter queue") {
                while true {
                    if let message = try await channel.get(queue: topology.deadLetterQueue) { return message }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(dead.bodyString == "bad")
            #expect(dead.properties.headers?["x-first-death-reason"]?.stringValue == "rejected")
            try await dead.ack()
            try await consumer.cancel()
            try await channel.deleteQueue(topology.queue)
            try await channel.deleteQueue(topology.deadLetterQueue)
            try await channel.deleteExchange(topology.deadLetterExchange)
        }
    }
}
