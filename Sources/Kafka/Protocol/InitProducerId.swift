/// InitProducerId (key 22): a producer id and epoch for an idempotent (non-transactional)
/// producer. Versions 0–4 (v2+ flexible). Any broker answers it.
struct InitProducerIdRequest: KafkaRequest {
    static let api = KafkaAPI.initProducerId
    var transactionTimeoutMs: Int32 = 60_000
    /// The current id and epoch when asking for an epoch bump (v3+), else -1.
    var producerId: Int64 = -1
    var producerEpoch: Int16 = -1

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var producerId: Int64
        var producerEpoch: Int16
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        writer.nullableString(nil)  // transactional_id: none, idempotence only
        writer.int32(transactionTimeoutMs)
        if version >= 3 {
            writer.int64(producerId)
            writer.int16(producerEpoch)
        }
        writer.taggedFields()
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        _ = try reader.int32("throttle_time_ms")
        let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        let producerId = try reader.int64("producer_id")
        let producerEpoch = try reader.int16("producer_epoch")
        try reader.taggedFields()
        return Response(errorCode: errorCode, producerId: producerId, producerEpoch: producerEpoch)
    }
}
