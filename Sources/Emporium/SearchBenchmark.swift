import ArgumentParser
import AsyncHTTPClient
import Catalog
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import Messaging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle

/// `emporium bench search`: latency of `GET /v1/products` searches with one client, over HTTP
/// against an in-process catalog on the given database (seeded with the demo catalog first when
/// empty). Each query class (text, text + filters, browse with filters, facets) reports p50,
/// p90, p99 and max; `GET /health/live` over the same connection is the floor measured in the
/// same run. Prints one JSON line.
struct SearchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Measure search latency (p50/p99) with one client (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("database-url"), help: "The catalog database (postgres://… or sqlite:…).")
    var databaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

    @Option(help: "Demo products to seed when the catalog is empty (1...100000).")
    var products = 100_000

    @Option(help: "Searches per query class (after a warm-up of a tenth as many).")
    var queries = 500

    func validate() throws {
        guard (1...100_000).contains(products), queries > 0 else { throw ValidationError("--products must be 1...100000, --queries positive") }
    }

    struct Latency: Codable {
        var p50: Double
        var p90: Double
        var p99: Double
        var max: Double
        var meanResults: Double
    }

    struct Result: Codable {
        var benchmark = "search"
        var database: String
        var products: Int
        var queriesPerClass: Int
        /// Milliseconds by query class.
        var milliseconds: [String: Latency]
    }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "emporium.bench.search")
            logger.logLevel = .warning
            return logger
        }()
        let config = try await ConfigurationLoader.reader(
            flags: ["services": "catalog", "catalog.database.url": databaseURL, "http.port": "0", "seed.demo": "false", "log.level": "warning"],
            environment: [:], file: nil
        )
        let settings = try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
        let count = products
        try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
            guard let (_, database) = services.first(where: { $0.service.name == "catalog" }) else { return }
            let store = CatalogStore(database: database, outbox: .init(service: "catalog"))
            let seeded = try await CatalogSeeder(store: store, logger: logger).seedIfEmpty(productCount: count) { written, total in
                if written % 10_000 == 0 || written == total {
                    FileHandle.standardError.write(Data("seeded \(written)/\(total) products\n".utf8))
                }
            }
            if !seeded { FileHandle.standardError.write(Data("the catalog already has products; searching those\n".utf8)) }
        }
        let result = try await BenchmarkServer.withServer(settings: settings, logger: logger) { base, _ in
            try await measure(base: base)
        }
        try BenchmarkServer.printJSONLine(result)
    }

    private func measure(base: String) async throws -> Result {
        let client = HTTPClient.shared
        let categories = try await json(client, "\(base)/v1/categories")["items"] as? [[String: Any]] ?? []
        let categoryIDs = categories.compactMap { $0["id"] as? String }
        let demo = DemoCatalog(productCount: products)
        var generator = SystemRandomNumberGenerator()
        func words(_ index: Int) -> [String] {
            demo.product(at: index).name.split(separator: " ").map { String($0).lowercased() }
        }
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        // Query classes: URI makers.
        let classes: [(String, () -> String)] = [
            ("floor_health_live", { "/health/live" }),
            ("text_two_words", {
                let w = words(Int.random(in: 0..<products, using: &generator))
                return "/v1/products?q=\(encoded(w.suffix(2).joined(separator: " ")))"
            }),
            ("text_exact_name", {
                "/v1/products?q=\(encoded(demo.product(at: Int.random(in: 0..<products, using: &generator)).name))"
            }),
            ("text_category_price", {
                let w = words(Int.random(in: 0..<products, using: &generator))
                let low = Int.random(in: 0...10_000, using: &generator)
                return "/v1/products?q=\(encoded(w.last ?? "lamp"))&category=\(categoryIDs.randomElement(using: &generator) ?? "")&min_price=\(low)&max_price=\(low + 20_000)"
            }),
            ("browse_category_attribute_price_sort", {
                let colour = ["black", "white", "blue", "red"].randomElement(using: &generator)!
                return "/v1/products?category=\(categoryIDs.randomElement(using: &generator) ?? "")&attr.colour=\(colour)&sort=price_asc"
            }),
            ("text_with_facets", {
                let w = words(Int.random(in: 0..<products, using: &generator))
                return "/v1/products?q=\(encoded(w.last ?? "lamp"))&facets=true"
            }),
        ]
        var milliseconds: [String: Latency] = [:]
        for (name, make) in classes {
            for _ in 0..<max(1, queries / 10) { _ = try await timed(client, base + make()) }
            var samples: [Double] = []
            var results = 0
            for _ in 0..<queries {
                let (seconds, count) = try await timed(client, base + make())
                samples.append(seconds * 1000)
                results += count
            }
            samples.sort()
            func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int((Double(samples.count) * p).rounded(.up)) - 1)] }
            milliseconds[name] = Latency(
                p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: samples.last ?? 0,
                meanResults: Double(results) / Double(queries)
            )
        }
        return Result(database: databaseURL.hasPrefix("sqlite") ? "sqlite" : "postgresql", products: products, queriesPerClass: queries, milliseconds: milliseconds)
    }

    /// One request: its duration and how many items it returned.
    private func timed(_ client: HTTPClient, _ url: String) async throws -> (Double, Int) {
        let start = ContinuousClock.now
        let request = HTTPClientRequest(url: url)
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status): \(String(buffer: body))") }
        let items = ((try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any])?["items"] as? [Any]
        return (elapsed, items?.count ?? 0)
    }

    private func json(_ client: HTTPClient, _ url: String) async throws -> [String: Any] {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }
}
