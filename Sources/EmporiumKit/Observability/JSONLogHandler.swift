import EmporiumCore
import Foundation
public import Logging

/// A swift-log handler that writes one JSON object per line (Loki-ready): `time`, `level`, `logger`,
/// `message` and every metadata key at the top level (`request_id`, `trace_id`, `route`, …).
///
/// A line is written with direct byte appends (``JSONTextWriter``) and a cached timestamp, and
/// handed to a ``LogSink``; in a server that is a ``BufferedLogOutput``, so no request waits for
/// standard output.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink

    /// - Parameters:
    ///   - label: The logger's label, written as `logger`.
    ///   - level: The lowest level written.
    ///   - sink: Where lines go (standard output, unbuffered, by default).
    public init(label: String, level: Logger.Level = .info, sink: LogSink = .standardOutput) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.write(Self.line(
            time: .now(), level: event.level, label: label, message: event.message.description,
            metadata: LogMetadataLayers(handler: metadata, provided: metadataProvider?.get(), event: event.metadata)
        ))
    }

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

/// The three metadata layers of a log call, read without merging them into a new dictionary:
/// the event's own metadata wins over the provider's, which wins over the handler's.
struct LogMetadataLayers {
    var handler: Logger.Metadata
    var provided: Logger.Metadata?
    var event: Logger.Metadata?

    /// Calls `body` once per key, with the value of the layer that wins.
    func forEach(_ body: (String, Logger.Metadata.Value) -> Void) {
        for (key, value) in handler where provided?[key] == nil && event?[key] == nil {
            body(key, value)
        }
        if let provided {
            for (key, value) in provided where event?[key] == nil { body(key, value) }
        }
        if let event {
            for (key, value) in event { body(key, value) }
        }
    }

    /// The winning value of `key`.
    subscript(key: String) -> Logger.Metadata.Value? {
        event?[key] ?? provided?[key] ?? handler[key]
    }
}

/// Where ``JSONLogHandler`` and ``TextLogHandler`` write their lines (each with its newline).
public struct LogSink: Sendable {
    let write: @Sendable ([UInt8]) -> Void

    /// A sink that hands each line's bytes to `write`.
    public init(bytes write: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
    }

    /// A sink that hands each line to `write` as `Data` (for tests).
    public init(write: @escaping @Sendable (Data) -> Void) {
        self.write = { write(Data($0)) }
    }

    /// Lines queued on `output` and written by its writer thread.
    public static func buffered(_ output: BufferedLogOutput) -> LogSink {
        LogSink(bytes: { output.append($0) })
    }

    /// Standard output, one `write(2)` per line so lines from concurrent tasks never interleave.
    /// Servers use ``buffered(_:)`` instead.
    public static let standardOutput = LogSink(bytes: { bytes in
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    })
}
