import ArgumentParser
import Foundation
import Kafka
import Logging

/// `emporium bench kafka`: records per second our producer gets acknowledged with `acks=all`
/// (idempotent, 1 KiB values by default), into a topic of its own, in batches of `--batch`
/// records with `--in-flight` batches outstanding. Prints one JSON line, like
/// `scripts/bench-kafka-python.py` does for confluent-kafka and kafka-python.
struct KafkaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Measure acks=all produced records/s of the Kafka client (see scripts/bench-kafka)."
    )

    @Option(help: "The broker, as a kafka:// URL.")
    var url = "kafka://127.0.0.1:9092"

    @Option(help: "Records to produce (after a warm-up of a tenth as many).")
    var records = 50_000

    @Option(help: "Value size in bytes.")
    var size = 1024

    @Option(help: "Records per send (one batch per partition).")
    var batch = 100

    @Option(name: .customLong("in-flight"), help: "Sends outstanding at once.")
    var inFlight = 4

    @Option(help: "Partitions of the benchmark topic.")
    var partitions = 1

    func validate() throws {
        guard records > 0, size >= 0, batch > 0, inFlight > 0, partitions > 0 else {
            throw ValidationError("--records, --batch, --in-flight and --partitions must be positive, --size not negative")
        }
    }

    struct Result: Codable {
        var client = "emporium"
        var records: Int
        var valueBytes: Int
        var batch: Int
        var inFlight: Int
        var recordsPerSecond: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.kafka")
        logger.logLevel = .warning
        let client = KafkaClient(configuration: try KafkaConfiguration(url: url), logger: logger)
        do {
            let topic = "emporium.bench.\(UUID().uuidString.prefix(8).lowercased())"
            try await client.createTopic(topic, partitions: Int32(partitions), replicationFactor: 1)
            let producer = KafkaProducer(client: client, logger: logger)
            let value = String(repeating: "x", count: size)
            let (batch, inFlight) = (self.batch, self.inFlight)
            func produce(_ count: Int) async throws -> Double {
                let remaining = Countdown((count + batch - 1) / batch)
                let elapsed = try await ContinuousClock().measure {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<inFlight {
                            group.addTask {
                                while remaining.take() {
                                    let records = (0..<batch).map { KafkaProducerRecord(key: "k\($0 % 64)", value: value) }
                                    _ = try await producer.send(records, to: topic)
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                return elapsed / .seconds(1)
            }
            _ = try await produce(max(batch, records / 10))
            let seconds = try await produce(records)
            let result = Result(records: records, valueBytes: size, batch: batch, inFlight: inFlight, recordsPerSecond: Double(records) / seconds)
            try BenchmarkServer.printJSONLine(result)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }
}
