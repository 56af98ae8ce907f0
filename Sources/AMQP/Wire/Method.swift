import NIOCore

/// The AMQP 0-9-1 methods this client sends or understands, with their arguments.
///
/// Reserved arguments (ticket, out-of-band, ...) are written as zero/empty and skipped on
/// reading. Consecutive bit arguments share one octet, lowest bit first.
enum AMQPMethod: Sendable, Equatable {
    // MARK: connection (class 10)
    case connectionStart(versionMajor: UInt8, versionMinor: UInt8, serverProperties: AMQPTable, mechanisms: String, locales: String)
    case connectionStartOk(clientProperties: AMQPTable, mechanism: String, response: String, locale: String)
    case connectionSecure(challenge: String)
    case connectionSecureOk(response: String)
    case connectionTune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionTuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionOpen(virtualHost: String)
    case connectionOpenOk
    case connectionClose(replyCode: UInt16, replyText: String, classID: UInt16, methodID: UInt16)
    case connectionCloseOk
    case connectionBlocked(reason: String)
    case connectionUnblocked

    // MARK: channel (class 20)
    case channelOpen
    case channelOpenOk
    case channelFlow(active: Bool)
    case channelFlowOk(active: Bool)
    case channelClose(replyCode: UInt16, replyText: String, classID: UInt16, methodID: UInt16)
    case channelCloseOk

    // MARK: exchange (class 40)
    case exchangeDeclare(
        exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool,
        noWait: Bool, arguments: AMQPTable)
    case exchangeDeclareOk
    case exchangeDelete(exchange: String, ifUnused: Bool, noWait: Bool)
    case exchangeDeleteOk

    // MARK: queue (class 50)
    case queueDeclare(
        queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, noWait: Bool,
        arguments: AMQPTable)
    case queueDeclareOk(queue: String, messageCount: UInt32, consumerCount: UInt32)
    case queueBind(queue: String, exchange: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
    case queueBindOk
    case queuePurge(queue: String, noWait: Bool)
    case queuePurgeOk(messageCount: UInt32)
    case queueDelete(queue: String, ifUnused: Bool, ifEmpty: Bool, noWait: Bool)
    case queueDeleteOk(messageCount: UInt32)
    case queueUnbind(queue: String, exchange: String, routingKey: String, arguments: AMQPTable)
    case queueUnbindOk

    // MARK: basic (class 60)
    case basicQos(prefetchSize: UInt32, prefetchCount: UInt16, global: Bool)
    case basicQosOk
    case basicConsume(
        queue: String, consumerTag: String, noLocal: Bool, noAck: Bool, exclusive: Bool, noWait: Bool,
        arguments: AMQPTable)
    case basicConsumeOk(consumerTag: String)
    case basicCancel(consumerTag: String, noWait: Bool)
    case basicCancelOk(consumerTag: String)
    case basicPublish(exchange: String, routingKey: String, mandatory: Bool, immediate: Bool)
    case basicReturn(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    case basicDeliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    case basicGet(queue: String, noAck: Bool)
    case basicGetOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
    case basicGetEmpty
    case basicAck(deliveryTag: UInt64, multiple: Bool)
    case basicReject(deliveryTag: UInt64, requeue: Bool)
    case basicRecover(requeue: Bool)
    case basicRecoverOk
    case basicNack(deliveryTag: UInt64, multiple: Bool, requeue: Bool)

    // MARK: confirm (class 85)
    case confirmSelect(noWait: Bool)
    case confirmSelectOk
}

/// A method's class and method numbers, e.g. 60.40 for basic.publish.
struct AMQPMethodID: Hashable, Sendable, CustomStringConvertible {
    var classID: UInt16
    var methodID: UInt16

    var description: String {
        let name = AMQPMethodID.names[self] ?? "unknown"
        return "\(name) (\(classID).\(methodID))"
    }

    static let names: [AMQPMethodID: String] = {
        var names: [AMQPMethodID: String] = [:]
        let table: [(UInt16, UInt16, String)] = [
            (10, 10, "connection.start"), (10, 11, "connection.start-ok"), (10, 20, "connection.secure"),
            (10, 21, "connection.secure-ok"), (10, 30, "connection.tune"), (10, 31, "connection.tune-ok"),
            (10, 40, "connection.open"), (10, 41, "connection.open-ok"), (10, 50, "connection.close"),
            (10, 51, "connection.close-ok"), (10, 60, "connection.blocked"), (10, 61, "connection.unblocked"),
            (20, 10, "channel.open"), (20, 11, "channel.open-ok"), (20, 20, "channel.flow"), (20, 21, "channel.flow-ok"),
            (20, 40, "channel.close"), (20, 41, "channel.close-ok"),
            (40, 10, "exchange.declare"), (40, 11, "exchange.declare-ok"), (40, 20, "exchange.delete"),
            (40, 21, "exchange.delete-ok"),
            (50, 10, "queue.declare"), (50, 11, "queue.declare-ok"), (50, 20, "queue.bind"), (50, 21, "queue.bind-ok"),
            (50, 30, "queue.purge"), (50, 31, "queue.purge-ok"), (50, 40, "queue.delete"), (50, 41, "queue.delete-ok"),
            (50, 50, "queue.unbind"), (50, 51, "queue.unbind-ok"),
            (60, 10, "basic.qos"), (60, 11, "basic.qos-ok"), (60, 20, "basic.consume"), (60, 21, "basic.consume-ok"),
            (60, 30, "basic.cancel"), (60, 31, "basic.cancel-ok"), (60, 40, "basic.publish"), (60, 50, "basic.return"),
            (60, 60, "basic.deliver"), (60, 70, "basic.get"), (60, 71, "basic.get-ok"), (60, 72, "basic.get-empty"),
            (60, 80, "basic.ack"), (60, 90, "basic.reject"), (60, 110, "basic.recover"), (60, 111, "basic.recover-ok"),
            (60, 120, "basic.nack"),
            (85, 10, "confirm.select"), (85, 11, "confirm.select-ok"),
        ]
        for (c, m, name) in table { names[AMQPMethodID(classID: c, methodID: m)] = name }
        return names
    }()
}

extension AMQPMethod {
    /// The class and method numbers of this method.
    var id: AMQPMethodID {
        let (c, m): (UInt16, UInt16) =
            switch self {
            case .connectionStart: (10, 10)
            case .connectionStartOk: (10, 11)
            case .connectionSecure: (10, 20)
            case .connectionSecureOk: (10, 21)
            case .connectionTune: (10, 30)
            case .connectionTuneOk: (10, 31)
            case .connectionOpen: (10, 40)
            case .connectionOpenOk: (10, 41)
            case .connectionClose: (10, 50)
            case .connectionCloseOk: (10, 51)
            case .connectionBlocked: (10, 60)
            case .connectionUnblocked: (10, 61)
            case .channelOpen: (20, 10)
            case .channelOpenOk: (20, 11)
            case .channelFlow: (20, 20)
            case .channelFlowOk: (20, 21)
            case .channelClose: (20, 40)
            case .channelCloseOk: (20, 41)
            case .exchangeDeclare: (40, 10)
            case .exchangeDeclareOk: (40, 11)
            case .exchangeDelete: (40, 20)
            case .exchangeDeleteOk: (40, 21)
            case .queueDeclare: (50, 10)
            case .queueDeclareOk: (50, 11)
            case .queueBind: (50, 20)
            case .queueBindOk: (50, 21)
            case .queuePurge: (50, 30)
            case .queuePurgeOk: (50, 31)
            case .queueDelete: (50, 40)
            case .queueDeleteOk: (50, 41)
            case .queueUnbind: (50, 50)
            case .queueUnbindOk: (50, 51)
            case .basicQos: (60, 10)
            case .basicQosOk: (60, 11)
            case .basicConsume: (60, 20)
            case .basicConsumeOk: (60, 21)
            case .basicCancel: (60, 30)
            case .basicCancelOk: (60, 31)
            case .basicPublish: (60, 40)
            case .basicReturn: (60, 50)
            case .basicDeliver: (60, 60)
            case .basicGet: (60, 70)
            case .basicGetOk: (60, 71)
            case .basicGetEmpty: (60, 72)
            case .basicAck: (60, 80)
            case .basicReject: (60, 90)
            case .basicRecover: (60, 110)
            case .basicRecoverOk: (60, 111)
            case .basicNack: (60, 120)
            case .confirmSelect: (85, 10)
            case .confirmSelectOk: (85, 11)
            }
        return AMQPMethodID(classID: c, methodID: m)
    }

    /// Whether a content header and body frames follow this method.
    var hasContent: Bool {
        switch self {
        case .basicPublish, .basicReturn, .basicDeliver, .basicGetOk: true
        default: false
        }
    }
}

// MARK: - Encoding

extension ByteBuffer {
    /// Packs up to eight bits into one octet, first argument in the lowest bit.
    /// (Fixed arguments rather than a variadic list: no array allocation per call.)
    mutating func writeBits(
        _ b0: Bool, _ b1: Bool = false, _ b2: Bool = false, _ b3: Bool = false, _ b4: Bool = false
    ) {
        var octet: UInt8 = b0 ? 1 : 0
        if b1 { octet |= 1 << 1 }
        if b2 { octet |= 1 << 2 }
        if b3 { octet |= 1 << 3 }
        if b4 { octet |= 1 << 4 }
        self.writeInteger(octet)
    }
}

extension AMQPMethod {
    /// Writes class id, method id and arguments (the payload of a method frame).
    func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
        let id = self.id
        buffer.writeInteger(id.classID)
        buffer.writeInteger(id.methodID)
        switch self {
        case .connectionStart(let major, let minor, let properties, let mechanisms, let locales):
            buffer.writeInteger(major)
            buffer.writeInteger(minor)
            try buffer.writeFieldTable(properties)
            buffer.writeLongString(mechanisms)
            buffer.writeLongString(locales)
        case .connectionStartOk(let properties, let mechanism, let response, let locale):
            try buffer.writeFieldTable(properties)
            try buffer.writeShortString(mechanism, "mechanism")
            buffer.writeLongString(response)
            try buffer.writeShortString(locale, "locale")
        case .connectionSecure(let text), .connectionSecureOk(let text):
            buffer.writeLongString(text)
        case .connectionTune(let channelMax, let frameMax, let heartbeat),
            .connectionTuneOk(let channelMax, let frameMax, let heartbeat):
            buffer.writeInteger(channelMax)
            buffer.writeInteger(frameMax)
            buffer.writeInteger(heartbeat)
        case .connectionOpen(let vhost):
            try buffer.writeShortString(vhost, "virtual host")
            try buffer.writeShortString("")  // reserved: capabilities
            buffer.writeBits(false)  // reserved: insist
        case .connectionOpenOk:
            try buffer.writeShortString("")  // reserved: known-hosts
        case .connectionClose(let code, let text, let classID, let methodID),
            .channelClose(let code, let text, let classID, let methodID):
            buffer.writeInteger(code)
            try buffer.writeShortString(String(text.utf8.prefix(255)) ?? "", "reply text")
            buffer.writeInteger(classID)
            buffer.writeInteger(methodID)
        case .connectionCloseOk, .connectionUnblocked, .channelCloseOk, .exchangeDeclareOk, .exchangeDeleteOk,
            .queueBindOk, .queueUnbindOk, .basicQosOk, .basicRecoverOk, .confirmSelectOk:
            break
        case .connectionBlocked(let reason):
            try buffer.writeShortString(reason, "reason")
        case .channelOpen:
            try buffer.writeShortString("")  // reserved: out-of-band
        case .channelOpenOk:
            buffer.writeLongString("")  // reserved: channel-id
        case .channelFlow(let active), .channelFlowOk(let active):
            buffer.writeBits(active)
        case .exchangeDeclare(let exchange, let type, let passive, let durable, let autoDelete, let isInternal, let noWait, let arguments):
            buffer.writeInteger(UInt16(0))  // reserved: ticket
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(type, "exchange type")
            buffer.writeBits(passive, durable, autoDelete, isInternal, noWait)
            try buffer.writeFieldTable(arguments)
        case .exchangeDelete(let exchange, let ifUnused, let noWait):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(exchange, "exchange name")
            buffer.writeBits(ifUnused, noWait)
        case .queueDeclare(let queue, let passive, let durable, let exclusive, let autoDelete, let noWait, let arguments):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            buffer.writeBits(passive, durable, exclusive, autoDelete, noWait)
            try buffer.writeFieldTable(arguments)
        case .queueDeclareOk(let queue, let messageCount, let consumerCount):
            try buffer.writeShortString(queue, "queue name")
            buffer.writeInteger(messageCount)
            buffer.writeInteger(consumerCount)
        case .queueBind(let queue, let exchange, let routingKey, let noWait, let arguments):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
            buffer.writeBits(noWait)
            try buffer.writeFieldTable(arguments)
        case .queuePurge(let queue, let noWait):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            buffer.writeBits(noWait)
        case .queuePurgeOk(let count), .queueDeleteOk(let count):
            buffer.writeInteger(count)
        case .queueDelete(let queue, let ifUnused, let ifEmpty, let noWait):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            buffer.writeBits(ifUnused, ifEmpty, noWait)
        case .queueUnbind(let queue, let exchange, let routingKey, let arguments):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
            try buffer.writeFieldTable(arguments)
        case .basicQos(let prefetchSize, let prefetchCount, let global):
            buffer.writeInteger(prefetchSize)
            buffer.writeInteger(prefetchCount)
            buffer.writeBits(global)
        case .basicConsume(let queue, let tag, let noLocal, let noAck, let exclusive, let noWait, let arguments):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            try buffer.writeShortString(tag, "consumer tag")
            buffer.writeBits(noLocal, noAck, exclusive, noWait)
            try buffer.writeFieldTable(arguments)
        case .basicConsumeOk(let tag), .basicCancelOk(let tag):
            try buffer.writeShortString(tag, "consumer tag")
        case .basicCancel(let tag, let noWait):
            try buffer.writeShortString(tag, "consumer tag")
            buffer.writeBits(noWait)
        case .basicPublish(let exchange, let routingKey, let mandatory, let immediate):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
            buffer.writeBits(mandatory, immediate)
        case .basicReturn(let code, let text, let exchange, let routingKey):
            buffer.writeInteger(code)
            try buffer.writeShortString(text, "reply text")
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
        case .basicDeliver(let tag, let deliveryTag, let redelivered, let exchange, let routingKey):
            try buffer.writeShortString(tag, "consumer tag")
            buffer.writeInteger(deliveryTag)
            buffer.writeBits(redelivered)
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
        case .basicGet(let queue, let noAck):
            buffer.writeInteger(UInt16(0))
            try buffer.writeShortString(queue, "queue name")
            buffer.writeBits(noAck)
        case .basicGetOk(let deliveryTag, let redelivered, let exchange, let routingKey, let messageCount):
            buffer.writeInteger(deliveryTag)
            buffer.writeBits(redelivered)
            try buffer.writeShortString(exchange, "exchange name")
            try buffer.writeShortString(routingKey, "routing key")
            buffer.writeInteger(messageCount)
        case .basicGetEmpty:
            try buffer.writeShortString("")  // reserved: cluster-id
        case .basicAck(let deliveryTag, let multiple):
            buffer.writeInteger(deliveryTag)
            buffer.writeBits(multiple)
        case .basicReject(let deliveryTag, let requeue):
            buffer.writeInteger(deliveryTag)
            buffer.writeBits(requeue)
        case .basicRecover(let requeue):
            buffer.writeBits(requeue)
        case .basicNack(let deliveryTag, let multiple, let requeue):
            buffer.writeInteger(deliveryTag)
            buffer.writeBits(multiple, requeue)
        case .confirmSelect(let noWait):
            buffer.writeBits(noWait)
        }
    }
}

// MARK: - Decoding

extension ByteBuffer {
    /// Reads one octet of packed bits.
    mutating func readBits(_ what: @autoclosure () -> String) throws(AMQPError) -> UInt8 {
        try self.readAMQPInteger(what())
    }
}

extension UInt8 {
    func bit(_ index: UInt8) -> Bool { self & (1 << index) != 0 }
}

extension AMQPMethod {
    /// Reads a method frame's payload.
    static func decode(from buffer: inout ByteBuffer) throws(AMQPError) -> AMQPMethod {
        let classID: UInt16 = try buffer.readAMQPInteger("method class id")
        let methodID: UInt16 = try buffer.readAMQPInteger("method id")
        let id = AMQPMethodID(classID: classID, methodID: methodID)
        func u8() throws(AMQPError) -> UInt8 { try buffer.readAMQPInteger("\(id) argument") }
        func u16() throws(AMQPError) -> UInt16 { try buffer.readAMQPInteger("\(id) argument") }
        func u32() throws(AMQPError) -> UInt32 { try buffer.readAMQPInteger("\(id) argument") }
        func u64() throws(AMQPError) -> UInt64 { try buffer.readAMQPInteger("\(id) argument") }
        func short() throws(AMQPError) -> String { try buffer.readShortString("\(id) argument") }
        func long() throws(AMQPError) -> String { try buffer.readLongString("\(id) argument") }
        func table() throws(AMQPError) -> AMQPTable { try buffer.readFieldTable() }

        switch (classID, methodID) {
        case (10, 10):
            return .connectionStart(
                versionMajor: try u8(), versionMinor: try u8(), serverProperties: try table(),
                mechanisms: try long(), locales: try long())
        case (10, 11):
            return .connectionStartOk(clientProperties: try table(), mechanism: try short(), response: try long(), locale: try short())
        case (10, 20): return .connectionSecure(challenge: try long())
        case (10, 21): return .connectionSecureOk(response: try long())
        case (10, 30): return .connectionTune(channelMax: try u16(), frameMax: try u32(), heartbeat: try u16())
        case (10, 31): return .connectionTuneOk(channelMax: try u16(), frameMax: try u32(), heartbeat: try u16())
        case (10, 40):
            let vhost = try short()
            _ = try short()
            _ = try u8()
            return .connectionOpen(virtualHost: vhost)
        case (10, 41):
            _ = try short()
            return .connectionOpenOk
        case (10, 50):
            return .connectionClose(replyCode: try u16(), replyText: try short(), classID: try u16(), methodID: try u16())
        case (10, 51): return .connectionCloseOk
        case (10, 60): return .connectionBlocked(reason: try short())
        case (10, 61): return .connectionUnblocked
        case (20, 10):
            _ = try short()
            return .channelOpen
        case (20, 11):
            _ = try long()
            return .channelOpenOk
        case (20, 20): return .channelFlow(active: try u8().bit(0))
        case (20, 21): return .channelFlowOk(active: try u8().bit(0))
        case (20, 40):
            return .channelClose(replyCode: try u16(), replyText: try short(), classID: try u16(), methodID: try u16())
        case (20, 41): return .channelCloseOk
        case (40, 10):
            _ = try u16()
            let exchange = try short()
            let type = try short()
            let bits = try u8()
            return .exchangeDeclare(
                exchange: exchange, type: type, passive: bits.bit(0), durable: bits.bit(1), autoDelete: bits.bit(2),
                internal: bits.bit(3), noWait: bits.bit(4), arguments: try table())
        case (40, 11): return .exchangeDeclareOk
        case (40, 20):
            _ = try u16()
            let exchange = try short()
            let bits = try u8()
            return .exchangeDelete(exchange: exchange, ifUnused: bits.bit(0), noWait: bits.bit(1))
        case (40, 21): return .exchangeDeleteOk
        case (50, 10):
            _ = try u16()
            let queue = try short()
            let bits = try u8()
            return .queueDeclare(
                queue: queue, passive: bits.bit(0), durable: bits.bit(1), exclusive: bits.bit(2), autoDelete: bits.bit(3),
                noWait: bits.bit(4), arguments: try table())
        case (50, 11): return .queueDeclareOk(queue: try short(), messageCount: try u32(), consumerCount: try u32())
        case (50, 20):
            _ = try u16()
            let queue = try short()
            let exchange = try short()
            let key = try short()
            let bits = try u8()
            return .queueBind(queue: queue, exchange: exchange, routingKey: key, noWait: bits.bit(0), arguments: try table())
        case (50, 21): return .queueBindOk
        case (50, 30):
            _ = try u16()
            return .queuePurge(queue: try short(), noWait: try u8().bit(0))
        case (50, 31): return .queuePurgeOk(messageCount: try u32())
        case (50, 40):
            _ = try u16()
            let queue = try short()
            let bits = try u8()
            return .queueDelete(queue: queue, ifUnused: bits.bit(0), ifEmpty: bits.bit(1), noWait: bits.bit(2))
        case (50, 41): return .queueDeleteOk(messageCount: try u32())
        case (50, 50):
            _ = try u16()
            return .queueUnbind(queue: try short(), exchange: try short(), routingKey: try short(), arguments: try table())
        case (50, 51): return .queueUnbindOk
        case (60, 10):
            return .basicQos(prefetchSize: try u32(), prefetchCount: try u16(), global: try u8().bit(0))
        case (60, 11): return .basicQosOk
        case (60, 20):
            _ = try u16()
            let queue = try short()
            let tag = try short()
            let bits = try u8()
            return .basicConsume(
                queue: queue, consumerTag: tag, noLocal: bits.bit(0), noAck: bits.bit(1), exclusive: bits.bit(2),
                noWait: bits.bit(3), arguments: try table())
        case (60, 21): return .basicConsumeOk(consumerTag: try short())
        case (60, 30): return .basicCancel(consumerTag: try short(), noWait: try u8().bit(0))
        case (60, 31): return .basicCancelOk(consumerTag: try short())
        case (60, 40):
            _ = try u16()
            let exchange = try short()
            let key = try short()
            let bits = try u8()
            return .basicPublish(exchange: exchange, routingKey: key, mandatory: bits.bit(0), immediate: bits.bit(1))
        case (60, 50):
            return .basicReturn(replyCode: try u16(), replyText: try short(), exchange: try short(), routingKey: try short())
        case (60, 60):
            return .basicDeliver(
                consumerTag: try short(), deliveryTag: try u64(), redelivered: try u8().bit(0), exchange: try short(),
                routingKey: try short())
        case (60, 70):
            _ = try u16()
            return .basicGet(queue: try short(), noAck: try u8().bit(0))
        case (60, 71):
            return .basicGetOk(
                deliveryTag: try u64(), redelivered: try u8().bit(0), exchange: try short(), routingKey: try short(),
                messageCount: try u32())
        case (60, 72):
            _ = try short()
            return .basicGetEmpty
        case (60, 80):
            return .basicAck(deliveryTag: try u64(), multiple: try u8().bit(0))
        case (60, 90):
            return .basicReject(deliveryTag: try u64(), requeue: try u8().bit(0))
        case (60, 110): return .basicRecover(requeue: try u8().bit(0))
        case (60, 111): return .basicRecoverOk
        case (60, 120):
            let tag = try u64()
            let bits = try u8()
            return .basicNack(deliveryTag: tag, multiple: bits.bit(0), requeue: bits.bit(1))
        case (85, 10): return .confirmSelect(noWait: try u8().bit(0))
        case (85, 11): return .confirmSelectOk
        default:
            throw AMQPError.protocolError("received unknown method \(classID).\(methodID)")
        }
    }
}
