import AMQP
import EmporiumTestSupport
import Foundation
import NIOCore
import Testing

@Suite("Broker: publish and consume", .enabled(if: TestBroker.isAvailable, TestBroker.skipReason))
struct RoundTripTests {
    @Test("declare, publish with properties, consume, ack")
    func roundTrip() async throws {
        try await withBroker { connection in
            let exchange = uniqueName("orders")
            let queue = uniqueName("orders.q")
            let channel = try await connection.openChannel()
            try await channel.declareExchange(exchange, type: .topic, durable: false, autoDelete: true)
            try await channel.declareQueue(queue, durable: false, autoDelete: true)
            try await channel.bindQueue(queue, exchange: exchange, routingKey: "order.*")
            let consumer = try await channel.consume(queue: queue)
            var iterator = consumer.makeAsyncIterator()

            let sentAt = Date(timeIntervalSince1970: 1_700_000_000)
            var properties = AMQPProperties.persistent
            properties.contentType = "application/json"
            properties.messageID = "msg-1"
            properties.type = "order.placed"
            properties.timestamp = sentAt
            properties.headers = ["tenant": "acme", "attempt": 1]
            try await channel.publish(#"{"id":1}"#, exchange: exchange, routingKey: "order.placed", properties: properties)

            let delivery = try await nextDelivery(&iterator)
            #expect(delivery.bodyString == #"{"id":1}"#)
            #expect(delivery.exchange == exchange)
            #expect(delivery.routingKey == "order.placed")
            #expect(delivery.redelivered == false)
            #expect(delivery.properties.contentType == "application/json")
            #expect(delivery.properties.messageID == "msg-1")
            #expect(delivery.properties.type == "order.placed")
            #expect(delivery.properties.timestamp == sentAt)
            #expect(delivery.properties.deliveryMode == .persistent)
            #expect(delivery.properties.headers?["tenant"] == "acme")
            #expect(delivery.properties.headers?["attempt"]?.intValue == 1)
            try await delivery.ack()

            // The ack is processed before the next method on the channel: nothing is left.
            let info = try await channel.inspectQueue(queue)
            #expect(info.messageCount == 0)
            #expect(info.consumerCount == 1)
            try await consumer.cancel()
            let afterCancel = try await nextOrEnd(&iterator, "end of the cancelled consumer")
            #expect(afterCancel == nil)
        }
    }
}
