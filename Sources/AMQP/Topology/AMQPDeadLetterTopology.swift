/// The queues of a consuming service with dead-lettering after a number of failed
/// deliveries.
///
/// ``declare(on:)`` declares:
/// - a durable fanout dead-letter exchange (`<queue>.dlx` unless named) and a durable
///   dead-letter queue (`<queue>.dlq`) bound to it;
/// - the work queue: a durable quorum queue whose `x-delivery-limit` dead-letters a
///   message after ``maxDeliveries`` deliveries, with `x-dead-letter-exchange` set;
/// - each source exchange in ``bindings`` (durable) and the work queue's binding to it.
///
/// The consumer acks what it handled and nacks failures with `requeue: true`; after the
/// last allowed delivery fails, the broker moves the message to the dead-letter queue
/// while other messages keep flowing. Returns caused by a consumer's channel or
/// connection closing count as failed deliveries too.
///
/// RabbitMQ (checked on 3.10) delivers a message `x-delivery-limit + 1` times before
/// dead-lettering it, so the limit is set to `maxDeliveries - 1`.
///
/// ```swift
/// let topology = AMQPDeadLetterTopology(
///     queue: "billing.orders",
///     bindings: [.init(exchange: "orders", routingKey: "order.placed")])
/// try await topology.declare(on: channel)
/// ```
public struct AMQPDeadLetterTopology: Sendable, Hashable {
    /// A source exchange and the routing key the work queue listens to on it.
    public struct Binding: Sendable, Hashable {
        /// The exchange (declared durable with `exchangeType`).
        public var exchange: String
        /// The exchange's type.
        public var exchangeType: AMQPExchangeType
        /// The binding key.
        public var routingKey: String

        /// A binding of the work queue to `exchange` with `routingKey`.
        public init(exchange: String, exchangeType: AMQPExchangeType = .topic, routingKey: String) {
            self.exchange = exchange
            self.exchangeType = exchangeType
            self.routingKey = routingKey
        }
    }

    /// The work queue the service consumes.
    public var queue: String
    /// The exchange failed messages go to.
    public var deadLetterExchange: String
    /// The queue failed messages end up in.
    public var deadLetterQueue: String
    /// How many times a message is delivered before it is dead-lettered (at least 1).
    public var maxDeliveries: Int
    /// Where the work queue gets its messages from.
    public var bindings: [Binding]

    /// A topology for `queue`; the dead-letter names default to `<queue>.dlx` and `<queue>.dlq`.
    public init(
        queue: String,
        maxDeliveries: Int = 5,
        deadLetterExchange: String? = nil,
        deadLetterQueue: String? = nil,
        bindings: [Binding] = []
    ) {
        self.queue = queue
        self.maxDeliveries = maxDeliveries
        self.deadLetterExchange = deadLetterExchange ?? "\(queue).dlx"
        self.deadLetterQueue = deadLetterQueue ?? "\(queue).dlq"
        self.bindings = bindings
    }

    /// The work queue's arguments: quorum type, delivery limit, dead-letter exchange.
    public var queueArguments: AMQPTable {
        [
            "x-queue-type": "quorum",
            "x-delivery-limit": .int32(Int32(clamping: max(self.maxDeliveries, 1) - 1)),
            "x-dead-letter-exchange": .string(self.deadLetterExchange),
        ]
    }

    /// Declares the exchanges, queues and bindings (idempotent while the settings are
    /// unchanged; a changed ``maxDeliveries`` on an existing queue fails with 406).
    /// - Throws: ``AMQPError/invalidArgument(_:)`` when `maxDeliveries` is below 1, or the
    ///   channel's errors.
    public func declare(on channel: AMQPChannel) async throws {
        guard self.maxDeliveries >= 1 else {
            throw AMQPError.invalidArgument("maxDeliveries must be at least 1, not \(self.maxDeliveries)")
        }
        try await channel.declareExchange(self.deadLetterExchange, type: .fanout, durable: true)
        try await channel.declareQueue(self.deadLetterQueue, durable: true)
        try await channel.bindQueue(self.deadLetterQueue, exchange: self.deadLetterExchange)
        try await channel.declareQueue(self.queue, durable: true, arguments: self.queueArguments)
        for binding in self.bindings {
            try await channel.declareExchange(binding.exchange, type: binding.exchangeType, durable: true)
            try await channel.bindQueue(self.queue, exchange: binding.exchange, routingKey: binding.routingKey)
        }
    }
}
