import NIOCore
import Synchronization

/// The part of a channel's state that publishers and acknowledgers use from any thread:
/// whether frames may be sent, the connection epoch of its delivery tags, and publisher
/// confirms. Holding the lock while encoding keeps publish order equal to tag order.
final class ChannelGate: Sendable {
    struct PendingConfirm {
        var tag: UInt64
        var waiter: ConfirmWaiter
    }

    private struct State {
        /// Why frames may not be sent now; nil while the channel is open.
        var blocked: AMQPError?
        var epoch: UInt64 = 0
        var confirms = false
        var nextTag: UInt64 = 1
        var unconfirmed = CircularBuffer<PendingConfirm>(initialCapacity: 64)
    }

    let channelID: UInt16
    let sink: FrameSink
    let broker: String
    private let state: Mutex<State>

    init(channelID: UInt16, sink: FrameSink, broker: String) {
        self.channelID = channelID
        self.sink = sink
        self.broker = broker
        self.state = Mutex(State(blocked: .connectionLost(broker: broker, reason: "channel is opening")))
    }

    private var detachedError: AMQPError {
        .connectionLost(broker: self.broker, reason: "the connection dropped")
    }

    // MARK: - Lifecycle (called by the channel actor)

    /// Lets frames through.
    func open() {
        self.state.withLock { $0.blocked = nil }
    }

    /// Stops frames with `error`, fails unconfirmed publishes with it.
    func block(_ error: AMQPError) {
        let failed = self.state.withLock { state in
            state.blocked = error
            var failed: [PendingConfirm] = []
            failed.reserveCapacity(state.unconfirmed.count)
            while let entry = state.unconfirmed.popFirst() { failed.append(entry) }
            return failed
        }
        for entry in failed { entry.waiter.fail(error) }
    }

    /// Starts a new connection epoch: delivery tags and confirm numbering restart.
    func advanceEpoch() -> UInt64 {
        self.state.withLock { state in
            state.epoch += 1
            state.nextTag = 1
            return state.epoch
        }
    }

    var epoch: UInt64 { self.state.withLock { $0.epoch } }
    var unconfirmedCount: Int { self.state.withLock { $0.unconfirmed.count } }
    var confirmsEnabled: Bool { self.state.withLock { $0.confirms } }

    // MARK: - Sending

    /// Sends a method if the channel is open.
    func send(_ method: AMQPMethod) throws(AMQPError) {
        try self.state.withLock { (state: inout State) throws(AMQPError) in
            if let blocked = state.blocked { throw blocked }
            try self.write(method)
        }
    }

    /// Sends a settlement (ack/nack/reject) for a delivery received in `epoch`.
    func settle(_ method: AMQPMethod, epoch: UInt64) throws(AMQPError) {
        try self.state.withLock { (state: inout State) throws(AMQPError) in
            if let blocked = state.blocked { throw blocked }
            guard epoch == state.epoch else {
                throw AMQPError.connectionLost(
                    broker: self.broker,
                    reason: "the delivery arrived before the connection was re-established; the broker delivers it again")
            }
            try self.write(method)
        }
    }

    /// Sends a method whatever the channel's state (opening, closing, recovery).
    func sendUnchecked(_ method: AMQPMethod) throws(AMQPError) {
        try self.write(method)
    }

    private func write(_ method: AMQPMethod) throws(AMQPError) {
        let channelID = self.channelID
        let attached = try self.sink.write { (buffer: inout ByteBuffer, _: UInt32) throws(AMQPError) in
            try buffer.writeMethodFrame(channel: channelID, method)
        }
        if !attached { throw self.detachedError }
    }

    /// Sends confirm.select and numbers every later publish from 1, as the broker does.
    func sendConfirmSelect() throws(AMQPError) {
        try self.state.withLock { (state: inout State) throws(AMQPError) in
            try self.write(.confirmSelect(noWait: false))
            state.confirms = true
            state.nextTag = 1
        }
    }

    /// Encodes a publish. In confirm mode `continuation` is resumed when the broker
    /// confirms; otherwise it is resumed at once.
    func publish(
        exchange: String,
        routingKey: String,
        mandatory: Bool,
        properties: AMQPProperties,
        body: ByteBuffer,
        waiter: ConfirmWaiter?
    ) throws(AMQPError) {
        let channelID = self.channelID
        let registered = try self.state.withLock { (state: inout State) throws(AMQPError) -> Bool in
            if let blocked = state.blocked { throw blocked }
            let attached = try self.sink.write { (buffer: inout ByteBuffer, frameMax: UInt32) throws(AMQPError) in
                try buffer.writeMethodFrame(
                    channel: channelID,
                    .basicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: false))
                try buffer.writeFrame(type: AMQPFrameType.header.rawValue, channel: channelID) {
                    (header: inout ByteBuffer) throws(AMQPError) in
                    try header.writeContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)
                }
                buffer.writeBodyFrames(channel: channelID, body: body, frameMax: frameMax)
            }
            if !attached { throw self.detachedError }
            guard state.confirms else { return false }
            // The broker numbers every publish after confirm.select, so count this one
            // even if its caller did not wait for a confirm (it raced with enabling them).
            let tag = state.nextTag
            state.nextTag += 1
            guard let waiter else { return false }
            state.unconfirmed.append(PendingConfirm(tag: tag, waiter: waiter))
            return true
        }
        if !registered { waiter?.succeed() }
    }

    /// Resolves publishes up to `tag` (with `multiple`) or exactly `tag`.
    func confirm(_ tag: UInt64, multiple: Bool, ack: Bool) {
        let resolved: [PendingConfirm] = self.state.withLock { state in
            var resolved: [PendingConfirm] = []
            if multiple {
                while let first = state.unconfirmed.first, first.tag <= tag {
                    resolved.append(state.unconfirmed.removeFirst())
                }
            } else if let first = state.unconfirmed.first, first.tag == tag {
                resolved.append(state.unconfirmed.removeFirst())
            } else if let index = Self.index(of: tag, in: state.unconfirmed) {
                resolved.append(state.unconfirmed.remove(at: index))
            }
            return resolved
        }
        for entry in resolved {
            if ack {
                entry.waiter.succeed()
            } else {
                entry.waiter.fail(AMQPError.publishNacked(deliveryTag: entry.tag))
            }
        }
    }

    /// Binary search: tags in the buffer are ascending.
    private static func index(of tag: UInt64, in buffer: CircularBuffer<PendingConfirm>) -> CircularBuffer<PendingConfirm>.Index? {
        var low = buffer.startIndex
        var count = buffer.count
        while count > 0 {
            let half = count / 2
            let middle = buffer.index(low, offsetBy: half)
            if buffer[middle].tag < tag {
                low = buffer.index(after: middle)
                count -= half + 1
            } else {
                count = half
            }
        }
        guard low != buffer.endIndex, buffer[low].tag == tag else { return nil }
        return low
    }
}

/// Who waits for a publish's confirm: one publisher, or a batch that resumes once all of its
/// messages are confirmed (or at its first failure).
enum ConfirmWaiter: Sendable {
    // Unsafe rather than checked: no canary allocation per publish. The gate resolves each
    // pending confirm exactly once: it is removed from `unconfirmed` under the lock first.
    case single(UnsafeContinuation<Void, any Error>)
    case batch(BatchConfirm)

    func succeed() {
        switch self {
        case .single(let continuation): continuation.resume()
        case .batch(let batch): batch.succeedOne()
        }
    }

    func fail(_ error: any Error) {
        switch self {
        case .single(let continuation): continuation.resume(throwing: error)
        case .batch(let batch): batch.fail(error)
        }
    }
}

/// The confirms of one batch of publishes: resumes its caller once, when the last is confirmed
/// or at the first failure.
final class BatchConfirm: Sendable {
    private struct State {
        var remaining: Int
        var continuation: UnsafeContinuation<Void, any Error>?
    }
    private let state: Mutex<State>

    init(count: Int, continuation: UnsafeContinuation<Void, any Error>) {
        self.state = Mutex(State(remaining: count, continuation: continuation))
    }

    func succeedOne() {
        let done = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        done?.resume()
    }

    func fail(_ error: any Error) {
        let waiting = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        waiting?.resume(throwing: error)
    }
}
