/// The exchanges, queues and bindings declared through a connection, kept so they can be
/// declared again after a reconnect. Passive declarations and server-named queues are
/// not recorded; deletions remove records.
struct AMQPTopologyRecord: Sendable {
    struct Exchange: Sendable, Hashable {
        var name: String
        var type: String
        var durable: Bool
        var autoDelete: Bool
        var isInternal: Bool
        var arguments: AMQPTable
    }

    struct Queue: Sendable, Hashable {
        var name: String
        var durable: Bool
        var exclusive: Bool
        var autoDelete: Bool
        var arguments: AMQPTable
    }

    struct Binding: Sendable, Hashable {
        var queue: String
        var exchange: String
        var routingKey: String
        var arguments: AMQPTable
    }

    enum Item: Sendable, CustomStringConvertible {
        case exchange(Exchange)
        case queue(Queue)
        case binding(Binding)

        var description: String {
            switch self {
            case .exchange(let e): "exchange '\(e.name)'"
            case .queue(let q): "queue '\(q.name)'"
            case .binding(let b): "binding of queue '\(b.queue)' to exchange '\(b.exchange)' with key '\(b.routingKey)'"
            }
        }
    }

    private(set) var exchanges: [Exchange] = []
    private(set) var queues: [Queue] = []
    private(set) var bindings: [Binding] = []

    /// Everything, in the order it must be declared: exchanges, queues, then bindings.
    var items: [Item] {
        self.exchanges.map(Item.exchange) + self.queues.map(Item.queue) + self.bindings.map(Item.binding)
    }

    mutating func record(_ exchange: Exchange) {
        guard !exchange.name.isEmpty, !exchange.name.hasPrefix("amq.") else { return }
        if let index = self.exchanges.firstIndex(where: { $0.name == exchange.name }) {
            self.exchanges[index] = exchange
        } else {
            self.exchanges.append(exchange)
        }
    }

    mutating func record(_ queue: Queue) {
        guard !queue.name.isEmpty, !queue.name.hasPrefix("amq.") else { return }
        if let index = self.queues.firstIndex(where: { $0.name == queue.name }) {
            self.queues[index] = queue
        } else {
            self.queues.append(queue)
        }
    }

    mutating func record(_ binding: Binding) {
        guard !self.bindings.contains(binding) else { return }
        self.bindings.append(binding)
    }

    mutating func forgetExchange(_ name: String) {
        self.exchanges.removeAll { $0.name == name }
        self.bindings.removeAll { $0.exchange == name }
    }

    mutating func forgetQueue(_ name: String) {
        self.queues.removeAll { $0.name == name }
        self.bindings.removeAll { $0.queue == name }
    }

    mutating func forget(_ binding: Binding) {
        self.bindings.removeAll { $0 == binding }
    }
}
