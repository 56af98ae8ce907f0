import AMQP
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore

/// `emporium bench amqp`: confirmed, persistent publishes per second of our AMQP client into a
/// durable queue declared for the run (and deleted after it), so `scripts/bench-amqp` can put
/// them next to Python's pika against the same broker. Prints one JSON line.
///
/// Two ways to keep `--in-flight` publishes outstanding:
/// - `window`: that many tasks each publish one message and wait for its confirm, so up to K
///   messages are unconfirmed at any moment (a sliding window; K=1 is one at a time);
/// - `batch`: `publish(batch:)` of K messages in order, one wait for all their confirms, then
///   the next K (what the outbox relay does).
struct AMQPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp",
        abstract: "Measure confirmed persistent publishes/s of the AMQP client (compare with pika; see scripts/bench-amqp)."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case window, batch
    }

    enum QueueType: String, ExpressibleByArgument, CaseIterable {
        case classic, quorum
    }

    @Option(help: "The broker, as an amqp:// URL.")
    var url = "amqp://guest:guest@127.0.0.1:5672/"

    @Option(help: "Messages to publish (after a warm-up of a tenth as many, at most 2000).")
    var messages = 20_000

    @Option(help: "Body size in bytes.")
    var size = 256

    @Option(name: .customLong("in-flight"), help: "Publishes outstanding (unconfirmed) at once; 1 is one at a time.")
    var inFlight = 1

    @Option(help: "How the in-flight publishes are kept: window (K tasks, each waiting for its confirm) or batch (publish(batch:) of K, one wait).")
    var mode = Mode.window

    @Option(name: .customLong("queue-type"), help: "The durable queue's type: classic or quorum.")
    var queueType = QueueType.classic

    func validate() throws {
        guard messages > 0, inFlight > 0, size >= 0 else {
            throw ValidationError("--messages and --in-flight must be positive, --size not negative")
        }
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.amqp")
        logger.logLevel = .warning
        var configuration = try AMQPConfiguration(url: url)
        configuration.connectionName = "emporium bench amqp"
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logger)
        let queue = "emporium.bench.amqp.\(UUID().uuidString.lowercased())"
        let channel: AMQPChannel
        let seconds: Double
        let cpuSeconds: Double
        do {
            channel = try await connection.openChannel()
            let arguments: AMQPTable = queueType == .quorum ? ["x-queue-type": "quorum"] : [:]
            try await channel.declareQueue(queue, durable: true, arguments: arguments)
            do {
                try await channel.enablePublisherConfirms()
                var properties = AMQPProperties()
                properties.deliveryMode = .persistent
                let message = AMQPMessage(
                    body: ByteBuffer(repeating: UInt8(ascii: "x"), count: size), routingKey: queue, properties: properties)
                _ = try await publish(message, count: min(max(messages / 10, inFlight), 2_000), on: channel)  // warm-up
                _ = try await channel.purgeQueue(queue)
                let cpuBefore = processCPUSeconds()
                seconds = try await publish(message, count: messages, on: channel)
                cpuSeconds = processCPUSeconds() - cpuBefore
                let stored = try await channel.inspectQueue(queue).messageCount
                guard stored == messages else {
                    throw ValidationError("the queue holds \(stored) messages after \(messages) confirmed publishes")
                }
            } catch {
                // A failed publish may have closed the channel: delete the queue on a fresh one.
                let cleanup = try? await connection.openChannel()
                _ = try? await cleanup?.deleteQueue(queue)
                throw error
            }
            _ = try await channel.deleteQueue(queue)
            try await channel.close()
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        let result = AMQPBenchmarkResult(
            client: "emporium", mode: inFlight == 1 ? "one-at-a-time" : mode.rawValue, queueType: queueType.rawValue,
            messages: messages, size: size, inFlight: inFlight, seconds: seconds, msgsPerSecond: Double(messages) / seconds,
            cpuSeconds: cpuSeconds
        )
        print(try result.jsonLine())
    }

    /// Publishes `count` copies of `message` with `inFlight` outstanding; returns the seconds
    /// from the first publish to the last confirm.
    private func publish(_ message: AMQPMessage, count: Int, on channel: AMQPChannel) async throws -> Double {
        let clock = ContinuousClock()
        let elapsed: Duration
        switch (mode, inFlight) {
        case (_, 1):
            elapsed = try await clock.measure {
                for _ in 0..<count {
                    try await channel.publish(
                        message.body, exchange: message.exchange, routingKey: message.routingKey, properties: message.properties)
                }
            }
        case (.window, _):
            let remaining = Countdown(count)
            elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<inFlight {
                        group.addTask {
                            while remaining.take() {
                                try await channel.publish(
                                    message.body, exchange: message.exchange, routingKey: message.routingKey,
                                    properties: message.properties)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
        case (.batch, _):
            elapsed = try await clock.measure {
                var sent = 0
                while sent < count {
                    let batch = Array(repeating: message, count: min(inFlight, count - sent))
                    try await channel.publish(batch: batch)
                    sent += batch.count
                }
            }
        }
        return elapsed / .seconds(1)
    }
}

/// The JSON line `emporium bench amqp` prints (the same keys as scripts/bench-amqp's pika side).
struct AMQPBenchmarkResult: Encodable {
    var client: String
    var mode: String
    var queueType: String
    var messages: Int
    var size: Int
    var inFlight: Int
    var seconds: Double
    var msgsPerSecond: Double
    /// CPU time (user and system, all threads) the process spent while it published.
    var cpuSeconds: Double

    enum CodingKeys: String, CodingKey {
        case client, mode, messages, size, seconds
        case queueType = "queue_type"
        case inFlight = "in_flight"
        case msgsPerSecond = "msgs_per_s"
        case cpuSeconds = "cpu_seconds"
    }
}

extension Encodable {
    /// The value as one line of JSON with sorted keys.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// CPU time (user and system, all threads) this process has used so far, in seconds.
func processCPUSeconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return .nan }
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
