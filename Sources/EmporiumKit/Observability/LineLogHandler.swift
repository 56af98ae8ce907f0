import Foundation
public import Logging

/// The swift-log handler of every Emporium process: one line per event, in a ``LogLineFormat``
/// (JSON for Loki, or short text at a terminal), handed to a ``LogSink``; in a server that is a
/// ``BufferedLogOutput``, so no request waits for standard output.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogLineFormat
    private let sink: LogSink

    /// - Parameters:
    ///   - label: The logger's label (`logger` in JSON lines).
    ///   - level: The lowest level written.
    ///   - format: JSON objects or short text lines.
    ///   - sink: Where lines go (standard output, unbuffered, by default).
    public init(label: String, level: Logger.Level = .info, format: LogLineFormat, sink: LogSink = .standardOutput) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        sink.write(format.line(
            time: .now(), level: event.level, label: label, message: event.message.description,
            metadata: LogMetadataLayers(handler: metadata, provided: metadataProvider?.get(), event: event.metadata)
        ))
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

/// Where ``LineLogHandler`` writes its lines (each with its newline).
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
    public static let standardOutput = LogSink(bytes: { BufferedLogOutput.write($0, to: 1) })
}
