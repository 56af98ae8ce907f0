import EmporiumKit
import Foundation
import Logging
import Synchronization

/// Collects the JSON log lines a logger writes, for tests that check what was logged.
public final class LogCapture: Sendable {
    private let lines = Mutex<[Data]>([])

    public init() {}

    /// A logger writing JSON lines into this capture.
    public func logger(level: Logger.Level = .info) -> Logger {
        Logger(label: "test") { label in
            LineLogHandler(label: label, level: level, format: .json, sink: LogSink { data in self.lines.withLock { $0.append(data) } })
        }
    }

    /// Every line written so far, parsed.
    public var entries: [[String: Any]] {
        lines.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
}
