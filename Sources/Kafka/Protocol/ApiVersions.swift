/// ApiVersions (key 18): which versions of each API the broker supports. Sent first on every
/// connection. Versions 0–3; v3 is flexible and names the client software.
struct ApiVersionsRequest: KafkaRequest {
    static let api = KafkaAPI.apiVersions
    var clientSoftwareName = "emporium-kafka"
    var clientSoftwareVersion = "1.0"

    struct Response: Sendable {
        var errorCode: KafkaErrorCode
        var ranges: [Int16: ClosedRange<Int16>]
        var throttleTimeMs: Int32
    }

    func encode(into writer: inout KafkaWriter, version: Int16) {
        if version >= 3 {
            writer.string(clientSoftwareName)
            writer.string(clientSoftwareVersion)
            writer.taggedFields()
        }
    }

    static func decode(from reader: inout KafkaReader, version: Int16) throws(KafkaError) -> Response {
        let errorCode = KafkaErrorCode(rawValue: try reader.int16("error_code"))
        var ranges: [Int16: ClosedRange<Int16>] = [:]
        let entries = try reader.array("api_keys") { (reader: inout KafkaReader) throws(KafkaError) in
            let key = try reader.int16("api_key")
            let minVersion = try reader.int16("min_version")
            let maxVersion = try reader.int16("max_version")
            try reader.taggedFields()
            return (key, minVersion, maxVersion)
        }
        for (key, minVersion, maxVersion) in entries where minVersion <= maxVersion {
            ranges[key] = minVersion...maxVersion
        }
        // A broker that does not support our version answers in v0 (error UNSUPPORTED_VERSION),
        // so the throttle time may be missing then.
        var throttle: Int32 = 0
        if version >= 1, errorCode == .noError {
            throttle = try reader.int32("throttle_time_ms")
        }
        if errorCode == .noError { try reader.taggedFields() }
        return Response(errorCode: errorCode, ranges: ranges, throttleTimeMs: throttle)
    }
}
