import NIOCore

/// A message being assembled from its method, content header and body frames.
struct IncomingContent {
    enum Kind {
        case delivery(consumerTag: String, deliveryTag: UInt64, redelivered: Bool)
        case get(deliveryTag: UInt64, redelivered: Bool, messageCount: UInt32)
        case returned(replyCode: UInt16, replyText: String)
    }

    var kind: Kind
    var exchange: String
    var routingKey: String
    /// Set once the content header arrived.
    var properties: AMQPProperties?
    var bodySize = 0
    var body: ByteBuffer?

    init(kind: Kind, exchange: String, routingKey: String) {
        self.kind = kind
        self.exchange = exchange
        self.routingKey = routingKey
    }

    var receivedBytes: Int { self.body?.readableBytes ?? 0 }

    var isComplete: Bool { self.receivedBytes >= self.bodySize }

    /// Adds a body frame's payload. A body that fits one frame is kept as a slice of the
    /// read buffer, without copying.
    mutating func append(_ payload: ByteBuffer) throws(AMQPError) {
        guard self.receivedBytes + payload.readableBytes <= self.bodySize else {
            throw AMQPError.frameError("message body is longer than the \(self.bodySize) bytes its header announced")
        }
        if self.body == nil {
            if payload.readableBytes == self.bodySize {
                self.body = payload
                return
            }
            var body = ByteBufferAllocator().buffer(capacity: self.bodySize)
            body.writeImmutableBuffer(payload)
            self.body = body
        } else {
            self.body!.writeImmutableBuffer(payload)
        }
    }
}
