import EmporiumCore
import ArgumentParser
import Foundation
import Messaging

/// `emporium bench json`: CloudEvents encoded and decoded per second by `CloudEvent.encoded()`
/// and `CloudEvent.decode(_:)` (our JSON reader and writer) next to what they did before, with
/// Foundation (a fresh `JSONEncoder` with sorted keys, `JSONDecoder` of the `Codable` form),
/// in the same run, on the same event of `--bytes` bytes. Prints one JSON line.
///
/// Each round times `--iterations` operations of each of the four in turn; the line reports
/// each one's best round, so a burst of load from another process on the machine costs it the
/// least.
struct JSONBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json",
        abstract: "Measure CloudEvent JSON encodes/decodes per second, ours next to Foundation's (see docs/benchmarks.md)."
    )

    @Option(help: "Operations of each kind per round.")
    var iterations = 100_000

    @Option(help: "Rounds; the best of them is reported.")
    var rounds = 5

    @Option(help: "Size of the encoded event in bytes (its data is padded to it).")
    var bytes = 256

    func validate() throws {
        guard iterations > 0, rounds > 0 else { throw ValidationError("--iterations and --rounds must be positive") }
    }

    struct Result: Codable {
        var benchmark = "json"
        var eventBytes: Int
        var iterations: Int
        var rounds: Int
        var encodesPerSecond: Double
        var encodesPerSecondFoundation: Double
        var decodesPerSecond: Double
        var decodesPerSecondFoundation: Double
    }

    func run() async throws {
        let event = try Self.event(bytes: bytes)
        let json = try event.encoded()
        // Both paths must agree before their speeds mean anything.
        guard try Self.foundationEncoded(event) == json, try Self.foundationDecoded(json) == event, try CloudEvent.decode(json) == event else {
            throw ValidationError("the two JSON paths disagree on the benchmark event")
        }
        var best = [Double](repeating: 0, count: 4)
        for _ in 0..<rounds {
            let perSecond = try [
                measure { _ = try event.encoded().count },
                measure { _ = try Self.foundationEncoded(event).count },
                measure { _ = try CloudEvent.decode(json).id },
                measure { _ = try Self.foundationDecoded(json).id },
            ]
            best = zip(best, perSecond).map { max($0, $1) }
        }
        try BenchmarkServer.printJSONLine(
            Result(
                eventBytes: json.count, iterations: iterations, rounds: rounds,
                encodesPerSecond: best[0].rounded(), encodesPerSecondFoundation: best[1].rounded(),
                decodesPerSecond: best[2].rounded(), decodesPerSecondFoundation: best[3].rounded()
            )
        )
    }

    /// Runs `operation` `iterations` times; returns operations per second.
    private func measure(_ operation: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<iterations { try operation() }
        }
        return Double(iterations) / (elapsed / .seconds(1))
    }

    /// `CloudEvent.encoded()` as it was: Foundation's encoder on the `Codable` form.
    private static func foundationEncoded(_ event: CloudEvent) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(event)
    }

    /// `CloudEvent.decode(_:)` as it was: Foundation's decoder on the `Codable` form, then the
    /// same attribute checks.
    private static func foundationDecoded(_ data: Data) throws -> CloudEvent {
        let event = try JSONDecoder().decode(CloudEvent.self, from: data)
        guard event.specversion == "1.0", !event.id.isEmpty, !event.source.isEmpty, !event.type.isEmpty else {
            throw ValidationError("missing or invalid CloudEvents attributes")
        }
        return event
    }

    /// A product event like the catalog's (a UUIDv7 id, the time with milliseconds, a small
    /// object as data; no subject or traceparent, to fit 256 bytes), its data padded so the
    /// whole event is `bytes` long.
    static func event(bytes: Int) throws -> CloudEvent {
        func event(padding: Int) -> CloudEvent {
            CloudEvent(
                source: "/emporium/catalog", type: "catalog.product.updated", subject: nil,
                data: .object(["name": .string("Shoe"), "price": .number(89.9), "note": .string(String(repeating: "x", count: padding))])
            )
        }
        let unpadded = try event(padding: 0).encoded().count
        guard bytes >= unpadded else { throw ValidationError("the smallest benchmark event has \(unpadded) bytes") }
        return event(padding: bytes - unpadded)
    }
}
