import Logging

/// One log line for a person at a terminal: `10:11:34 INFO GET /v1/products/{id} 200 0.2ms` for a
/// request and `10:11:34 NOTICE emporium listening url=http://127.0.0.1:8080` for the rest (time
/// of day in UTC; correlation ids are left out, the JSON format keeps them).
enum TextLogLine {
    /// Keys that correlate lines for machines; a person reading a terminal does not need them.
    static let omittedKeys: Set<String> = ["request_id", "trace_id", "span_id", "service", "hb.request.id"]

    static func line(time: LogTimestamp, level: Logger.Level, message: String, metadata: LogMetadataLayers) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        time.appendTimeOfDay(to: &bytes)
        bytes.append(0x20)
        bytes.append(contentsOf: level.rawValue.uppercased().utf8)
        bytes.append(0x20)
        if message == AccessLog.message, let summary = AccessLog.summary(metadata) {
            bytes.append(contentsOf: summary.utf8)
        } else {
            bytes.append(contentsOf: message.utf8)
            var pairs: [(String, String)] = []
            metadata.forEach { key, value in
                guard !omittedKeys.contains(key) else { return }
                pairs.append((key, "\(value)"))
            }
            for (key, value) in pairs.sorted(by: { $0.0 < $1.0 }) {
                bytes.append(0x20)
                bytes.append(contentsOf: key.utf8)
                bytes.append(0x3D)
                bytes.append(contentsOf: value.utf8)
            }
        }
        bytes.append(0x0A)
        return bytes
    }
}
