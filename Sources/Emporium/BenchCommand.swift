import ArgumentParser
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import Logging
import RESP
import Synchronization

/// `emporium bench`: helpers for the benchmarks in `docs/benchmarks.md`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark helpers (see scripts/bench-http, scripts/bench-redis, scripts/bench-amqp and docs/benchmarks.md).",
        subcommands: [BaselineServer.self, RedisBenchmark.self, AMQPBenchmark.self, EventsBenchmark.self, IdentityBenchmark.self, SearchBenchmark.self, KafkaBenchmark.self, JSONBenchmark.self, CartBenchmark.self, InventoryBenchmark.self, CheckoutBenchmark.self, RecommendationsBenchmark.self, NotificationsBenchmark.self]
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

/// Measures `SET` and `GET` operations per second of our Redis client, the way `redis-benchmark`
/// does (`-c` clients, `-P` pipeline depth, `-n` requests, `-d` value size, one fixed key), so
/// `scripts/bench-redis` can print both side by side. Prints CSV lines like redis-benchmark's
/// `--csv`: `"SET","123456.78"`.
struct RedisBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Measure SET/GET ops/s of the RESP client (compare with redis-benchmark; see scripts/bench-redis)."
    )

    @Option(help: "The server, as a redis:// URL.")
    var url = "redis://127.0.0.1:6379"

    @Option(name: .short, help: "Concurrent clients (pooled connections), like redis-benchmark -c.")
    var c = 50

    @Option(name: .short, help: "Total requests per test, like redis-benchmark -n.")
    var n = 100_000

    @Option(name: .customShort("P"), help: "Commands pipelined per round trip, like redis-benchmark -P.")
    var pipeline = 1

    @Option(name: .short, help: "Value size in bytes for SET, like redis-benchmark -d.")
    var d = 3

    func validate() throws {
        guard c > 0, n > 0, pipeline > 0, d >= 0 else { throw ValidationError("-c, -n and -P must be positive, -d not negative") }
    }

    func run() async throws {
        var configuration = try RedisConfiguration(url: url)
        configuration.pool.maximumConnections = c
        let redis = RedisClient(configuration: configuration)
        do {
            try await measureSetAndGet(redis)
        } catch {
            await redis.close()
            throw error
        }
        await redis.close()
    }

    private func measureSetAndGet(_ redis: RedisClient) async throws {
        let key = RESPArgument.string("key:000000000000")
        let set = RESPCommand("SET", key, .byteArray(Array(repeating: UInt8(ascii: "x"), count: d)))
        let get = RESPCommand("GET", key)
        for (name, command) in [("SET", set), ("GET", get)] {
            _ = try await measure(redis, command, requests: max(c * pipeline, n / 10))  // warm-up
            let seconds = try await measure(redis, command, requests: n)
            print("\"\(name)\",\"\(String(format: "%.2f", Double(n) / seconds))\"")
        }
    }

    /// Sends `requests` copies of `command` from `c` concurrent tasks, `pipeline` per round trip;
    /// returns the seconds taken.
    private func measure(_ redis: RedisClient, _ command: RESPCommand, requests: Int) async throws -> Double {
        let batches = Countdown((requests + pipeline - 1) / pipeline)
        let batch = Array(repeating: command, count: pipeline)
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<c {
                    group.addTask { [pipeline] in
                        while batches.take() {
                            if pipeline == 1 {
                                _ = try await redis.send(command)
                            } else {
                                for reply in try await redis.pipeline(batch) { _ = try reply.throwingServerError() }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return elapsed / .seconds(1)
    }
}

/// A count shared by the benchmark's tasks: each ``take()`` claims one unit while any are left.
final class Countdown: Sendable {
    private let remaining: Atomic<Int>

    init(_ count: Int) {
        remaining = Atomic(count)
    }

    /// Claims one unit; false once none are left.
    func take() -> Bool {
        remaining.subtract(1, ordering: .relaxed).oldValue > 0
    }
}
