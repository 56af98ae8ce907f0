import ArgumentParser
import EmporiumKit
import EmporiumRuntime
import Logging
import ServiceLifecycle
import UnixSignals

/// `emporium serve`: runs the selected services until SIGTERM or SIGINT, then stops gracefully
/// (the server stops accepting, requests in flight finish, then databases close).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the platform (all services by default).")

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("port"), help: "HTTP port (default 8080; 0 picks a free port).")
    var port: Int?

    @Option(name: .customLong("host"), help: "Address to bind (default 127.0.0.1).")
    var host: String?

    func run() async throws {
        let (settings, logger) = try await common.settings(extraFlags: ["http.port": port.map(String.init), "http.host": host])
        let metrics = MetricsRegistry()
        Bootstrap.metrics(metrics)
        let platform = try await EmporiumPlatform.build(settings: settings, logger: logger, metrics: metrics) { port in
            logger.notice(
                "emporium listening",
                metadata: [
                    "url": "http://\(settings.host):\(port)",
                    "services": .string(settings.services),
                ]
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [platform.application],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.notice("emporium stopped")
    }
}
