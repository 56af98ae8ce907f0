public import Logging

/// The two shapes of a log line: JSON objects for Loki and other machines, short text for a
/// person at a terminal.
public enum LogLineFormat: Sendable {
    /// ``JSONLogHandler``.
    case json
    /// ``TextLogHandler``.
    case text

    /// A handler writing this format to `sink`.
    public func handler(label: String, level: Logger.Level, sink: LogSink) -> any LogHandler {
        switch self {
        case .json: JSONLogHandler(label: label, level: level, sink: sink)
        case .text: TextLogHandler(label: label, level: level, sink: sink)
        }
    }

    /// The warning a ``BufferedLogOutput`` writes after dropping `dropped` lines.
    public func dropWarningLine(dropped: Int) -> [UInt8] {
        let message = "\(dropped) log lines were dropped: the log output did not keep up"
        let metadata = LogMetadataLayers(handler: ["dropped_lines": .string(String(dropped))])
        return switch self {
        case .json: JSONLogHandler.line(time: .now(), level: .warning, label: "emporium.log", message: message, metadata: metadata)
        case .text: TextLogHandler.line(time: .now(), level: .warning, message: message, metadata: metadata)
        }
    }
}
