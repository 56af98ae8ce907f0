public import Logging

/// The two shapes of a log line: JSON objects for Loki and other machines, short text for a
/// person at a terminal.
public enum LogLineFormat: Sendable {
    /// `JSONLogLine`: one JSON object per line.
    case json
    /// `TextLogLine`: `10:11:34 INFO GET /v1/products/{id} 200 0.2ms`.
    case text

    /// A handler writing this format to `sink`.
    public func handler(label: String, level: Logger.Level, sink: LogSink) -> any LogHandler {
        LineLogHandler(label: label, level: level, format: self, sink: sink)
    }

    /// One line of this format, with its newline.
    func line(time: LogTimestamp, level: Logger.Level, label: String, message: String, metadata: LogMetadataLayers) -> [UInt8] {
        switch self {
        case .json: JSONLogLine.line(time: time, level: level, label: label, message: message, metadata: metadata)
        case .text: TextLogLine.line(time: time, level: level, message: message, metadata: metadata)
        }
    }

    /// The warning a ``BufferedLogOutput`` writes after dropping `dropped` lines.
    public func dropWarningLine(dropped: Int) -> [UInt8] {
        line(
            time: .now(), level: .warning, label: "emporium.log",
            message: "\(dropped) log lines were dropped: the log output did not keep up",
            metadata: LogMetadataLayers(handler: ["dropped_lines": .string(String(dropped))])
        )
    }
}
