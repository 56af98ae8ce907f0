import ArgumentParser
import EmporiumRuntime
import Foundation
import Logging
import ServiceLifecycle

/// Runs an Emporium process for a benchmark: builds it for `settings`, serves it on a real port,
/// runs `body` with its base URL, then shuts it down gracefully (also when `body` throws).
enum BenchmarkServer {
    static func withServer<Result: Sendable>(
        settings: RuntimeSettings,
        table: ServiceTable = .standard,
        logger: Logger,
        _ body: @escaping @Sendable (_ baseURL: String, _ platform: EmporiumPlatform) async throws -> Result
    ) async throws -> Result {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let platform = try await EmporiumPlatform.build(settings: settings, table: table, logger: logger) { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [platform.application], logger: logger))
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
            do {
                let result = try await body("http://127.0.0.1:\(port)", platform)
                await group.triggerGracefulShutdown()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Runs ``withServer(settings:table:logger:_:)`` for a process of `flags` (`services`, …) on
    /// a data folder of its own in the temporary directory (removed afterwards), serving on a
    /// free port, with `log.level` `warning` unless `flags` says otherwise.
    static func withEmbeddedServer<Result: Sendable>(
        name: String,
        flags: [String: String],
        logger: Logger,
        _ body: @escaping @Sendable (_ baseURL: String, _ platform: EmporiumPlatform) async throws -> Result
    ) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-bench-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try await ConfigurationLoader.reader(
            // The gateway's rate limit off: a benchmark sends everything from one address.
            flags: [
                "data.dir": folder.path, "http.port": "0", "log.level": "warning",
                "gateway.rateLimit.perAddress": "0", "gateway.rateLimit.perUser": "0",
            ].merging(flags) { _, given in given },
            environment: [:], file: nil
        )
        let settings = try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
        return try await withServer(settings: settings, logger: logger, body)
    }

    /// Prints `result` as one JSON line with sorted keys.
    static func printJSONLine(_ result: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}
