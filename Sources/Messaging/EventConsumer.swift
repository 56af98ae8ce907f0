import Logging
import ServiceLifecycle
import Storage

/// Runs one service's event subscriptions: takes events from the transport and applies each in a
/// database transaction that also claims it in the inbox, so a redelivery has no second effect.
public struct EventConsumer: Service {
    /// The consuming service; also the consumer (queue) name.
    public let consumer: String
    private let database: any Database
    private let transport: any EventTransport
    private let subscriptions: [EventSubscription]
    private let logger: Logger

    public init(consumer: String, database: any Database, transport: any EventTransport, subscriptions: [EventSubscription], logger: Logger) {
        self.consumer = consumer
        self.database = database
        self.transport = transport
        self.subscriptions = subscriptions
        self.logger = logger
    }

    /// Every event type the consumer handles.
    public var types: Set<String> { subscriptions.reduce(into: []) { $0.formUnion($1.types) } }

    public func run() async throws {
        try await transport.consume(consumer: consumer, types: types) { event in
            try await self.handle(event)
        }
    }

    /// Applies `event` once: in one transaction, claims it in the inbox and runs its handlers.
    /// - Returns: false when it had been handled before (nothing was done).
    @discardableResult
    public func handle(_ event: CloudEvent) async throws -> Bool {
        let handlers = subscriptions.filter { $0.types.contains(event.type) }
        return try await database.transaction { sql in
            guard try await Inbox.claim(event, consumer: consumer, sql) else { return false }
            for subscription in handlers {
                try await subscription.handle(event, sql)
            }
            return true
        }
    }
}

/// Runs one service's broadcast subscriptions in this process (see
/// ``EventTransport/consumeBroadcast(consumer:types:handler:)``).
public struct BroadcastConsumer: Service {
    /// The consuming service.
    public let consumer: String
    private let transport: any EventTransport
    private let subscriptions: [BroadcastSubscription]

    public init(consumer: String, transport: any EventTransport, subscriptions: [BroadcastSubscription]) {
        self.consumer = consumer
        self.transport = transport
        self.subscriptions = subscriptions
    }

    public func run() async throws {
        let types = subscriptions.reduce(into: Set<String>()) { $0.formUnion($1.types) }
        let subscriptions = self.subscriptions
        try await transport.consumeBroadcast(consumer: consumer, types: types) { event in
            for subscription in subscriptions where subscription.types.contains(event.type) {
                await subscription.handle(event)
            }
        }
    }
}
