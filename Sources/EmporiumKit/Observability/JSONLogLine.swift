import EmporiumCore
import Logging

/// One log line as a JSON object (Loki-ready): `time`, `level`, `logger`, `message` and every
/// metadata key at the top level (`request_id`, `trace_id`, `route`, …), written with direct byte
/// appends (``JSONTextWriter``) and a timestamp whose second is formatted once a second.
enum JSONLogLine {
    /// The keys every line starts with; metadata under these names is not written. Nor is
    /// Hummingbird's own `hb.request.id`: `request_id` is the id the client sees (`X-Request-Id`),
    /// and formatting the other costs a `printf` per request.
    static let fixedKeys: Set<String> = ["time", "level", "logger", "message", "hb.request.id"]

    /// One line, with its newline.
    static func line(time: LogTimestamp, level: Logger.Level, label: String, message: String, metadata: LogMetadataLayers) -> [UInt8] {
        var writer = JSONTextWriter(capacity: 384)
        writer.beginObject()
        writer.writeKey("time")
        var stamp: [UInt8] = []
        stamp.reserveCapacity(24)
        time.appendISO8601(to: &stamp)
        writer.write(String(decoding: stamp, as: UTF8.self))
        writer.writeKey("level")
        writer.write(level.rawValue)
        writer.writeKey("logger")
        writer.write(label)
        writer.writeKey("message")
        writer.write(message)
        metadata.forEach { key, value in
            guard !fixedKeys.contains(key) else { return }
            writer.writeKey(key)
            write(value, to: &writer)
        }
        writer.endObject()
        var bytes = writer.bytes
        bytes.append(0x0A)
        return bytes
    }

    private static func write(_ value: Logger.Metadata.Value, to writer: inout JSONTextWriter) {
        switch value {
        case .string(let string):
            writer.write(string)
        case .stringConvertible(let convertible):
            writer.write(convertible.description)
        case .array, .dictionary:
            // Nested values are rare (never on the request path): build the value, then write it.
            try? writer.write(jsonValue(value))
        }
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let array): .array(array.map(jsonValue))
        case .dictionary(let dictionary): .object(dictionary.mapValues(jsonValue))
        }
    }
}
