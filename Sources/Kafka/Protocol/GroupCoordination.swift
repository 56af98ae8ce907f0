import NIOCore

/// FindCoordinator (key 10): the broker coordinating a consumer group. Versions 1–4 (v3+
/// flexible; v4 asks for several keys at once, we ask for one).
struct FindCoordinatorRequest: KafkaRequest {
    static let api = KafkaAPI.findCoordinator
    var key: String
    /// 0 group, 1 transaction.
    var keyType: Int8 = 0

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var errorMessage: String?
        var nodeId: Int32
        var host: String
        var port: Int32
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        if version <= 3 { writer.string(key) }
        writer.int8(keyType)
        if version >= 4 { writer.array([key]) { $0.string($1) } }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        if version <= 3 {
            let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
            let message = try reader.nullableString("error_message")
            let response = Response(
                errorCode: errorCode, errorMessage: message, nodeId: try reader.int32("node_id"),
                host: try reader.string("host"), port: try reader.int32("port"))
            try reader.taggedFields()
            return response
        }
        let coordinators = try reader.array("coordinators") { (reader: inout KafkaReader) throws(KafkaError) in
            _ = try reader.string("key")
            let nodeId = try reader.int32("node_id")
            let host = try reader.string("host")
            let port = try reader.int32("port")
            let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
            let message = try reader.nullableString("error_message")
            try reader.taggedFields()
            return Response(errorCode: errorCode, errorMessage: message, nodeId: nodeId, host: host, port: port)
        }
        try reader.taggedFields()
        guard let first = coordinators.first else { throw reader.malformed("no coordinator in the response") }
        return first
    }
}

/// JoinGroup (key 11). Versions 2–7 (v6+ flexible). The broker holds the request until every
/// member has rejoined or the rebalance time-out passes.
struct JoinGroupRequest: KafkaRequest {
    static let api = KafkaAPI.joinGroup
    var groupId: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var memberId: String
    var protocolType: String
    var protocols: [(name: String, metadata: ByteBuffer)]

    struct Member: Sendable {
        var memberId: String
        var metadata: ByteBuffer
    }

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var generationId: Int32
        var protocolName: String?
        var leader: String
        var memberId: String
        var members: [Member]
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        writer.int32(sessionTimeoutMs)
        writer.int32(rebalanceTimeoutMs)
        writer.string(memberId)
        if version >= 5 { writer.nullableString(nil) }  // group_instance_id: dynamic membership
        writer.string(protocolType)
        writer.array(protocols) { writer, entry in
            writer.string(entry.name)
            writer.bytes(entry.metadata)
            writer.taggedFields()
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        let generation = try reader.int32("generation_id")
        if version >= 7 { _ = try reader.nullableString("protocol_type") }
        let protocolName = try reader.nullableString("protocol_name")
        let leader = try reader.string("leader")
        let memberId = try reader.string("member_id")
        let members = try reader.array("members") { (reader: inout KafkaReader) throws(KafkaError) in
            let id = try reader.string("member_id")
            if version >= 5 { _ = try reader.nullableString("group_instance_id") }
            let metadata = try reader.bytes("metadata")
            try reader.taggedFields()
            return Member(memberId: id, metadata: metadata)
        }
        try reader.taggedFields()
        return Response(errorCode: errorCode, generationId: generation, protocolName: protocolName, leader: leader, memberId: memberId, members: members)
    }
}

/// SyncGroup (key 14): the leader sends every member's assignment; every member gets its own.
/// Versions 1–5 (v4+ flexible).
struct SyncGroupRequest: KafkaRequest {
    static let api = KafkaAPI.syncGroup
    var groupId: String
    var generationId: Int32
    var memberId: String
    var protocolType: String
    var protocolName: String
    var assignments: [(memberId: String, assignment: ByteBuffer)]

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var assignment: ByteBuffer
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        writer.int32(generationId)
        writer.string(memberId)
        if version >= 3 { writer.nullableString(nil) }  // group_instance_id
        if version >= 5 {
            writer.nullableString(protocolType)
            writer.nullableString(protocolName)
        }
        writer.array(assignments) { writer, entry in
            writer.string(entry.memberId)
            writer.bytes(entry.assignment)
            writer.taggedFields()
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        if version >= 5 {
            _ = try reader.nullableString("protocol_type")
            _ = try reader.nullableString("protocol_name")
        }
        let assignment = try reader.bytes("assignment")
        try reader.taggedFields()
        return Response(errorCode: errorCode, assignment: assignment)
    }
}

/// Heartbeat (key 12): keeps a member in its group; the answer says when a rebalance started.
/// Versions 1–4 (v4 flexible).
struct HeartbeatRequest: KafkaRequest {
    static let api = KafkaAPI.heartbeat
    var groupId: String
    var generationId: Int32
    var memberId: String

    typealias Response = KafkaErrorCode

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        writer.int32(generationId)
        writer.string(memberId)
        if version >= 3 { writer.nullableString(nil) }  // group_instance_id
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        try reader.taggedFields()
        return errorCode
    }
}

/// LeaveGroup (key 13): a member leaves at once instead of timing out. Versions 1–5 (v3+ take a
/// list of members, v4+ flexible).
struct LeaveGroupRequest: KafkaRequest {
    static let api = KafkaAPI.leaveGroup
    var groupId: String
    var memberId: String
    var reason: String? = "the consumer is closing"

    typealias Response = KafkaErrorCode

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.string(groupId)
        if version <= 2 {
            writer.string(memberId)
        } else {
            writer.array([memberId]) { writer, id in
                writer.string(id)
                writer.nullableString(nil)  // group_instance_id
                if version >= 5 { writer.nullableString(reason) }
                writer.taggedFields()
            }
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        var errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        if version >= 3 {
            let members = try reader.array("members") { (reader: inout KafkaReader) throws(KafkaError) in
                _ = try reader.string("member_id")
                _ = try reader.nullableString("group_instance_id")
                let code = KafkaErrorCode(rawValue: try reader.int16("error_code"))
                try reader.taggedFields()
                return code
            }
            if errorCode == .noError, let failed = members.first(where: { $0 != .noError }) {
                errorCode = failed
            }
        }
        try reader.taggedFields()
        return errorCode
    }
}
