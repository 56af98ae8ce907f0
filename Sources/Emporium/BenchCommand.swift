import ArgumentParser
import Foundation
import Hummingbird
import NIOFoundationCompat
import Logging

/// `emporium bench`: helpers for the benchmarks in `docs/benchmarks.md`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark helpers (see scripts/bench-http and docs/benchmarks.md).",
        subcommands: [BaselineServer.self]
    )
}

/// A bare Hummingbird server that answers every GET with the same bytes: no middleware, no
/// database, no JSON encoding. `scripts/bench-http` compares `emporium serve` against it.
struct BaselineServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Serve a file's bytes as application/json on every GET path, with bare Hummingbird."
    )

    @Option(help: "Port to listen on.")
    var port = 8090

    @Option(name: .customLong("body"), help: "File whose bytes every response carries.")
    var bodyFile: String

    func run() async throws {
        let body = ByteBuffer(data: try Data(contentsOf: URL(fileURLWithPath: bodyFile)))
        let router = Router()
        router.get("**") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        var logger = Logger(label: "baseline")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService()
    }
}
