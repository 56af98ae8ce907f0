import ArgumentParser
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import Metrics
import Synchronization

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A JSON configuration file (see docs/configuration.md).")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Where embedded SQLite files live (default ./.emporium).")
    var dataDirectory: String?

    @Option(name: .customLong("services"), help: "Services to run: all, or a comma-separated list (`emporium --list-services` prints them).")
    var services: String?

    /// Flags as configuration keys, so they win over the environment and the file.
    func flagValues(extra: [String: String?] = [:]) -> [String: String] {
        var flags: [String: String?] = ["data.dir": dataDirectory, "services": services]
        flags.merge(extra) { _, new in new }
        return flags.compactMapValues { $0 }
    }

    /// Reads and validates the configuration, bootstraps logging and metrics, and checks the
    /// service selection, failing with a message that names what is wrong.
    func settings(extraFlags: [String: String?] = [:]) async throws -> (RuntimeSettings, Logger) {
        let settings: RuntimeSettings
        do {
            let config = try await ConfigurationLoader.reader(
                flags: flagValues(extra: extraFlags),
                environment: ProcessInfo.processInfo.environment,
                file: configFile
            )
            settings = try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
            _ = try ServiceTable.standard.resolve(settings.services)
        } catch let error as ServiceSelectionError {
            throw ValidationError(error.description)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        Bootstrap.logging(level: settings.logLevel, format: settings.logFormat)
        return (settings, Logger(label: "emporium"))
    }
}

/// Process-wide set-up, done once in `main`.
enum Bootstrap {
    /// The queue log lines go through; flushed when the process exits.
    private static let output = Mutex<BufferedLogOutput?>(nil)

    /// Logging to standard output through one ``BufferedLogOutput``: JSON lines, or short text
    /// lines when `format` is `text`, or `auto` and standard output is a terminal.
    static func logging(level: Logger.Level, format: RuntimeSettings.LogFormat) {
        let lineFormat: LogLineFormat = switch format {
        case .json: .json
        case .text: .text
        case .auto: isatty(STDOUT_FILENO) == 1 ? .text : .json
        }
        let buffered = BufferedLogOutput { lineFormat.dropWarningLine(dropped: $0) }
        output.withLock { $0 = buffered }
        atexit { Bootstrap.flushLogs() }
        let sink = LogSink.buffered(buffered)
        LoggingSystem.bootstrap { label in lineFormat.handler(label: label, level: level, sink: sink) }
    }

    /// Writes every queued log line before the process ends.
    static func flushLogs() {
        output.withLock { $0 }?.flush()
    }

    static func metrics(_ registry: MetricsRegistry) {
        MetricsSystem.bootstrap(registry.factory)
    }
}

/// The `--list-services` output.
enum ServiceListing {
    static func text(table: ServiceTable = .standard) -> String {
        var lines = ["\(ServiceTable.allTarget)\tevery service below, in one process"]
        for module in table.modules {
            let needs = module.dependencies.isEmpty ? "" : " (needs \(module.dependencies.joined(separator: ", ")))"
            let calls = module.calls.isEmpty ? "" : " (calls \(module.calls.joined(separator: ", ")))"
            lines.append("\(module.name)\t\(module.summary)\(needs)\(calls)")
        }
        return lines.joined(separator: "\n")
    }
}
