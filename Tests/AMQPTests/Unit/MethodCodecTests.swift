import Foundation
import NIOCore
import Testing

@testable import AMQP

@Suite("Codec: methods and content headers")
struct MethodCodecTests {
    static let samples: [AMQPMethod] = [
        .connectionStart(
            versionMajor: 0, versionMinor: 9, serverProperties: ["product": "RabbitMQ", "capabilities": .table(["basic.nack": true])],
            mechanisms: "PLAIN AMQPLAIN", locales: "en_US"),
        .connectionStartOk(clientProperties: ["product": "x"], mechanism: "PLAIN", response: "\u{0}guest\u{0}guest", locale: "en_US"),
        .connectionSecure(challenge: "c"), .connectionSecureOk(response: "r"),
        .connectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60),
        .connectionTuneOk(channelMax: 10, frameMax: 4096, heartbeat: 0),
        .connectionOpen(virtualHost: "/"), .connectionOpenOk,
        .connectionClose(replyCode: 320, replyText: "CONNECTION_FORCED - shutdown", classID: 0, methodID: 0),
        .connectionCloseOk, .connectionBlocked(reason: "low on memory"), .connectionUnblocked,
        .channelOpen, .channelOpenOk, .channelFlow(active: true), .channelFlowOk(active: false),
        .channelClose(replyCode: 404, replyText: "NOT_FOUND - no exchange 'x'", classID: 60, methodID: 40), .channelCloseOk,
        .exchangeDeclare(
            exchange: "orders", type: "topic", passive: false, durable: true, autoDelete: false, internal: true, noWait: false,
            arguments: ["alternate-exchange": "ae"]),
        .exchangeDeclareOk, .exchangeDelete(exchange: "orders", ifUnused: true, noWait: false), .exchangeDeleteOk,
        .queueDeclare(
            queue: "q", passive: false, durable: true, exclusive: false, autoDelete: true, noWait: false,
            arguments: ["x-queue-type": "quorum", "x-delivery-limit": 4]),
        .queueDeclareOk(queue: "q", messageCount: 3, consumerCount: 1),
        .queueBind(queue: "q", exchange: "orders", routingKey: "order.*", noWait: false, arguments: [:]), .queueBindOk,
        .queuePurge(queue: "q", noWait: false), .queuePurgeOk(messageCount: 9),
        .queueDelete(queue: "q", ifUnused: false, ifEmpty: true, noWait: false), .queueDeleteOk(messageCount: 2),
        .queueUnbind(queue: "q", exchange: "orders", routingKey: "k", arguments: [:]), .queueUnbindOk,
        .basicQos(prefetchSize: 0, prefetchCount: 50, global: false), .basicQosOk,
        .basicConsume(queue: "q", consumerTag: "ctag", noLocal: false, noAck: false, exclusive: true, noWait: false, arguments: [:]),
        .basicConsumeOk(consumerTag: "ctag"), .basicCancel(consumerTag: "ctag", noWait: true), .basicCancelOk(consumerTag: "ctag"),
        .basicPublish(exchange: "orders", routingKey: "order.placed", mandatory: true, immediate: false),
        .basicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "orders", routingKey: "nowhere"),
        .basicDeliver(consumerTag: "ctag", deliveryTag: 1 << 40, redelivered: true, exchange: "orders", routingKey: "k"),
        .basicGet(queue: "q", noAck: false),
        .basicGetOk(deliveryTag: 5, redelivered: false, exchange: "", routingKey: "q", messageCount: 10), .basicGetEmpty,
        .basicAck(deliveryTag: 77, multiple: true), .basicReject(deliveryTag: 3, requeue: false),
        .basicRecover(requeue: true), .basicRecoverOk, .basicNack(deliveryTag: 8, multiple: false, requeue: true),
        .confirmSelect(noWait: false), .confirmSelectOk,
    ]

    @Test("every method survives a round trip", arguments: samples)
    func roundTrip(_ method: AMQPMethod) throws {
        var buffer = ByteBuffer()
        try method.encode(into: &buffer)
        let decoded = try AMQPMethod.decode(from: &buffer)
        #expect(decoded == method)
        #expect(buffer.readableBytes == 0)
    }

    @Test("basic.publish encodes class, method, ticket, strings and bits")
    func publishBytes() throws {
        var buffer = ByteBuffer()
        try AMQPMethod.basicPublish(exchange: "ex", routingKey: "rk", mandatory: true, immediate: false).encode(into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0, 60, 0, 40, 0, 0, 2, 0x65, 0x78, 2, 0x72, 0x6B, 0b01])
    }

    @Test("bits pack into one octet, first argument lowest")
    func bitPacking() throws {
        var nack = ByteBuffer()
        try AMQPMethod.basicNack(deliveryTag: 7, multiple: false, requeue: true).encode(into: &nack)
        #expect(Array(nack.readableBytesView) == [0, 60, 0, 120, 0, 0, 0, 0, 0, 0, 0, 7, 0b10])

        var declare = ByteBuffer()
        try AMQPMethod.queueDeclare(
            queue: "", passive: false, durable: true, exclusive: false, autoDelete: true, noWait: false, arguments: [:]
        ).encode(into: &declare)
        // class, method, ticket, empty name, bits, empty table
        #expect(Array(declare.readableBytesView) == [0, 50, 0, 10, 0, 0, 0, 0b01010, 0, 0, 0, 0])
    }

    @Test("an unknown method is a protocol error")
    func unknownMethod() {
        var buffer = ByteBuffer(bytes: [0, 99, 0, 1])
        let error = #expect(throws: AMQPError.self) { try AMQPMethod.decode(from: &buffer) }
        #expect("\(error!)".contains("99.1"))
    }

    @Test("a routing key over 255 bytes is an invalid argument")
    func longRoutingKey() {
        var buffer = ByteBuffer()
        let key = String(repeating: "r", count: 256)
        let error = #expect(throws: AMQPError.self) {
            try AMQPMethod.basicPublish(exchange: "", routingKey: key, mandatory: false, immediate: false).encode(into: &buffer)
        }
        #expect("\(error!)".contains("routing key"))
    }

    @Test("method names in errors come from the spec")
    func names() {
        #expect(AMQPMethodID(classID: 60, methodID: 40).description == "basic.publish (60.40)")
        #expect(AMQPMethodID(classID: 50, methodID: 10).description == "queue.declare (50.10)")
    }

    @Test("all content properties survive a round trip")
    func propertiesRoundTrip() throws {
        let properties = AMQPProperties(
            contentType: "application/json", contentEncoding: "gzip", headers: ["trace": "abc", "n": 3],
            deliveryMode: .persistent, priority: 5, correlationID: "corr", replyTo: "replies", expiration: "60000",
            messageID: "id-9", timestamp: Date(timeIntervalSince1970: 1_700_000_123), type: "order.placed",
            userID: "guest", appID: "billing")
        var buffer = ByteBuffer()
        try buffer.writeContentHeader(bodySize: 123_456, properties: properties)
        let header = try buffer.readContentHeader()
        #expect(header.classID == 60)
        #expect(header.bodySize == 123_456)
        #expect(header.properties == properties)
        #expect(buffer.readableBytes == 0)
    }

    @Test("only the properties that are set are flagged and sent")
    func propertyFlags() throws {
        var buffer = ByteBuffer()
        try buffer.writeContentHeader(bodySize: 0, properties: AMQPProperties(contentType: "text/plain", deliveryMode: .persistent))
        // class 60, weight 0, size 0, flags: content-type (bit 15) + delivery-mode (bit 12)
        #expect(buffer.getInteger(at: 12, as: UInt16.self) == 0x9000)
        #expect(buffer.readableBytes == 14 + 1 + 10 + 1)
        let header = try buffer.readContentHeader()
        #expect(header.properties == AMQPProperties(contentType: "text/plain", deliveryMode: .persistent))
    }

    @Test("replies are matched to their requests")
    func replyMatching() {
        let get = AMQPMethodID(classID: 60, methodID: 70)
        #expect(AMQPChannel.isReply(AMQPMethodID(classID: 60, methodID: 71), to: get))
        #expect(AMQPChannel.isReply(AMQPMethodID(classID: 60, methodID: 72), to: get))
        #expect(AMQPChannel.isReply(AMQPMethodID(classID: 50, methodID: 11), to: AMQPMethodID(classID: 50, methodID: 10)))
        #expect(!AMQPChannel.isReply(AMQPMethodID(classID: 40, methodID: 11), to: AMQPMethodID(classID: 50, methodID: 10)))
    }
}
