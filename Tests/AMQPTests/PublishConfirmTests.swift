import AMQP
import EmporiumTestSupport
import NIOCore
import Testing

@Suite("Broker: publisher confirms", .enabled(if: TestBroker.isAvailable, TestBroker.skipReason))
struct PublishConfirmTests {
    @Test("1,000 persistent messages published concurrently are all confirmed and stored")
    func thousandConfirmed() async throws {
        try await withBroker { connection in
            let queue = uniqueName("confirms")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: true)
            try await channel.enablePublisherConfirms()

            let confirmed = try await withTimeout("1,000 confirms", .seconds(60)) {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<1000 {
                        group.addTask {
                            var properties = AMQPProperties.persistent
                            properties.messageID = "m-\(i)"
                            try await channel.publish("message \(i)", routingKey: queue, properties: properties)
                            return 1
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            #expect(confirmed == 1000)
            let info = try await channel.inspectQueue(queue)
            #expect(info.messageCount == 1000)
            try await channel.deleteQueue(queue)
        }
    }

    @Test("a body larger than frame-max is split into frames and arrives whole")
    func largeBody() async throws {
        try await withBroker { connection in
            let queue = uniqueName("large")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            try await channel.enablePublisherConfirms()
            let frameMax = Int(await connection.negotiated.frameMax)
            let size = frameMax * 2 + 12_345
            var body = ByteBuffer()
            for i in 0..<size { body.writeInteger(UInt8(truncatingIfNeeded: i &* 31)) }
            try await withTimeout("publish large body") { [body] in
                try await channel.publish(body, routingKey: queue)
            }
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()
            let delivery = try await nextDelivery(&iterator)
            #expect(delivery.body.readableBytes == size)
            #expect(delivery.body == body)
            try await delivery.ack()
        }
    }

    @Test("without confirm mode, publish returns once queued and messages still arrive in order")
    func unconfirmedPublish() async throws {
        try await withBroker { connection in
            let queue = uniqueName("noconfirm")
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            for i in 0..<50 {
                try await channel.publish("\(i)", routingKey: queue)
            }
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()
            for i in 0..<50 {
                let delivery = try await nextDelivery(&iterator, "message \(i)")
                #expect(delivery.bodyString == "\(i)")
                try await delivery.ack()
            }
        }
    }
}
