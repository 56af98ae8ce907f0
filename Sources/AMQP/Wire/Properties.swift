#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// How the broker stores a message.
public enum AMQPDeliveryMode: UInt8, Sendable, Hashable {
    /// Kept in memory only; lost when the broker restarts.
    case transient = 1
    /// Written to disk by durable queues; survives a broker restart.
    case persistent = 2
}

/// The basic-class message properties carried in a content header.
///
/// Every property is optional; only those set are sent.
public struct AMQPProperties: Sendable, Hashable {
    /// MIME type of the body, e.g. `application/json`.
    public var contentType: String?
    /// Encoding of the body, e.g. `gzip`.
    public var contentEncoding: String?
    /// Application headers.
    public var headers: AMQPTable?
    /// Transient or persistent.
    public var deliveryMode: AMQPDeliveryMode?
    /// Priority 0-9 (for priority queues).
    public var priority: UInt8?
    /// Correlates a reply with its request.
    public var correlationID: String?
    /// Queue to reply to.
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a string.
    public var expiration: String?
    /// Application message identifier (e.g. the outbox row id).
    public var messageID: String?
    /// When the message was created, to the second.
    public var timestamp: Date?
    /// Application message type name (e.g. `order.placed`).
    public var type: String?
    /// Creating user; RabbitMQ checks it against the connection's user.
    public var userID: String?
    /// Creating application.
    public var appID: String?

    /// Properties with the given values; all default to unset.
    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: AMQPTable? = nil,
        deliveryMode: AMQPDeliveryMode? = nil,
        priority: UInt8? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageID: String? = nil,
        timestamp: Date? = nil,
        type: String? = nil,
        userID: String? = nil,
        appID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }

    /// Properties of a persistent message (delivery mode 2), the usual choice with durable queues.
    public static var persistent: AMQPProperties { AMQPProperties(deliveryMode: .persistent) }
}

/// Flag bits of the basic-class property list, most significant bit first.
enum AMQPPropertyFlag {
    static let contentType: UInt16 = 1 << 15
    static let contentEncoding: UInt16 = 1 << 14
    static let headers: UInt16 = 1 << 13
    static let deliveryMode: UInt16 = 1 << 12
    static let priority: UInt16 = 1 << 11
    static let correlationID: UInt16 = 1 << 10
    static let replyTo: UInt16 = 1 << 9
    static let expiration: UInt16 = 1 << 8
    static let messageID: UInt16 = 1 << 7
    static let timestamp: UInt16 = 1 << 6
    static let type: UInt16 = 1 << 5
    static let userID: UInt16 = 1 << 4
    static let appID: UInt16 = 1 << 3
    static let clusterID: UInt16 = 1 << 2
}

/// A decoded content header frame.
struct AMQPContentHeader: Sendable, Equatable {
    var classID: UInt16
    var bodySize: UInt64
    var properties: AMQPProperties
}

extension ByteBuffer {
    /// Writes a content-header frame payload for class basic.
    mutating func writeContentHeader(bodySize: UInt64, properties p: AMQPProperties) throws(AMQPError) {
        self.writeInteger(UInt16(60))  // class basic
        self.writeInteger(UInt16(0))  // weight
        self.writeInteger(bodySize)
        var flags: UInt16 = 0
        if p.contentType != nil { flags |= AMQPPropertyFlag.contentType }
        if p.contentEncoding != nil { flags |= AMQPPropertyFlag.contentEncoding }
        if p.headers != nil { flags |= AMQPPropertyFlag.headers }
        if p.deliveryMode != nil { flags |= AMQPPropertyFlag.deliveryMode }
        if p.priority != nil { flags |= AMQPPropertyFlag.priority }
        if p.correlationID != nil { flags |= AMQPPropertyFlag.correlationID }
        if p.replyTo != nil { flags |= AMQPPropertyFlag.replyTo }
        if p.expiration != nil { flags |= AMQPPropertyFlag.expiration }
        if p.messageID != nil { flags |= AMQPPropertyFlag.messageID }
        if p.timestamp != nil { flags |= AMQPPropertyFlag.timestamp }
        if p.type != nil { flags |= AMQPPropertyFlag.type }
        if p.userID != nil { flags |= AMQPPropertyFlag.userID }
        if p.appID != nil { flags |= AMQPPropertyFlag.appID }
        self.writeInteger(flags)
        if let v = p.contentType { try self.writeShortString(v, "content-type") }
        if let v = p.contentEncoding { try self.writeShortString(v, "content-encoding") }
        if let v = p.headers { try self.writeFieldTable(v) }
        if let v = p.deliveryMode { self.writeInteger(v.rawValue) }
        if let v = p.priority { self.writeInteger(v) }
        if let v = p.correlationID { try self.writeShortString(v, "correlation-id") }
        if let v = p.replyTo { try self.writeShortString(v, "reply-to") }
        if let v = p.expiration { try self.writeShortString(v, "expiration") }
        if let v = p.messageID { try self.writeShortString(v, "message-id") }
        if let v = p.timestamp {
            self.writeInteger(UInt64(clamping: Int64(v.timeIntervalSince1970.rounded(.down))))
        }
        if let v = p.type { try self.writeShortString(v, "type") }
        if let v = p.userID { try self.writeShortString(v, "user-id") }
        if let v = p.appID { try self.writeShortString(v, "app-id") }
    }

    /// Reads a content-header frame payload.
    mutating func readContentHeader() throws(AMQPError) -> AMQPContentHeader {
        let classID: UInt16 = try self.readAMQPInteger("content header class id")
        let _: UInt16 = try self.readAMQPInteger("content header weight")
        let bodySize: UInt64 = try self.readAMQPInteger("content header body size")
        var flags: UInt16 = try self.readAMQPInteger("content header property flags")
        // Bit 0 announces another flags word; basic uses 14 properties, so further words carry nothing we know.
        var more = flags & 1 != 0
        while more {
            let next: UInt16 = try self.readAMQPInteger("content header property flags")
            more = next & 1 != 0
        }
        flags &= ~1
        var p = AMQPProperties()
        if flags & AMQPPropertyFlag.contentType != 0 { p.contentType = try self.readShortString("content-type") }
        if flags & AMQPPropertyFlag.contentEncoding != 0 { p.contentEncoding = try self.readShortString("content-encoding") }
        if flags & AMQPPropertyFlag.headers != 0 { p.headers = try self.readFieldTable() }
        if flags & AMQPPropertyFlag.deliveryMode != 0 {
            let mode: UInt8 = try self.readAMQPInteger("delivery-mode")
            p.deliveryMode = AMQPDeliveryMode(rawValue: mode) ?? .transient
        }
        if flags & AMQPPropertyFlag.priority != 0 { p.priority = try self.readAMQPInteger("priority") }
        if flags & AMQPPropertyFlag.correlationID != 0 { p.correlationID = try self.readShortString("correlation-id") }
        if flags & AMQPPropertyFlag.replyTo != 0 { p.replyTo = try self.readShortString("reply-to") }
        if flags & AMQPPropertyFlag.expiration != 0 { p.expiration = try self.readShortString("expiration") }
        if flags & AMQPPropertyFlag.messageID != 0 { p.messageID = try self.readShortString("message-id") }
        if flags & AMQPPropertyFlag.timestamp != 0 {
            let seconds: UInt64 = try self.readAMQPInteger("timestamp")
            p.timestamp = Date(timeIntervalSince1970: Double(seconds))
        }
        if flags & AMQPPropertyFlag.type != 0 { p.type = try self.readShortString("type") }
        if flags & AMQPPropertyFlag.userID != 0 { p.userID = try self.readShortString("user-id") }
        if flags & AMQPPropertyFlag.appID != 0 { p.appID = try self.readShortString("app-id") }
        if flags & AMQPPropertyFlag.clusterID != 0 { _ = try self.readShortString("cluster-id") }
        return AMQPContentHeader(classID: classID, bodySize: bodySize, properties: p)
    }
}
