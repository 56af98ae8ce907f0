import ArgumentParser
import EmporiumContracts
import EmporiumCore
import EmporiumRuntime
import Foundation
import Logging
import Messaging
import SQLKit
import Storage

/// `emporium bench recommendations`: `orders.order.confirmed` events per second applied by the
/// recommendations consumer, next to the raw insert rate of its purchases table in the same run. Prints one JSON
/// line (progress on standard error).
///
/// The service runs in process as `emporium serve --services recommendations` would (its own
/// database, migrations, consumer with its inbox; the inventory it would call for stock is never
/// asked), on a fresh SQLite file, or on a database of its own on the PostgreSQL server of
/// `--database-url` (an admin URL; the database is dropped afterwards).
///
/// - **Raw**: `--orders` transactions' worth of rows, `--batch` rows per transaction, each one
///   multi-row `INSERT` into `recs_purchases` (the table every confirmed order gets a row in):
///   the most orders per second the database takes into that table this way.
/// - **Consumer**: `--orders` synthetic `orders.order.confirmed` events (1 to `--lines` products
///   each, from `--products` products with a skewed popularity, from a quarter as many buyers),
///   handed to the in-process transport `--batch` at a time (its batch size): each batch is one
///   transaction claiming the events in the inbox, recording the purchases and their products,
///   and adding n(p), co(p, q) both ways and the day's counts with multi-row upserts.
struct RecommendationsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommendations",
        abstract: "Measure confirmed-order events/s applied by the recommendations consumer next to raw inserts into its purchases table (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("database-url"), help: "An admin URL of a PostgreSQL server (a database is created and dropped there); default: a fresh SQLite file.")
    var databaseURL: String?

    @Option(help: "Confirmed orders to apply (after a warm-up of a tenth as many).")
    var orders = 20_000

    @Option(help: "Distinct products the orders draw from.")
    var products = 2_000

    @Option(help: "The most distinct products per order (each order has 1 to this many).")
    var lines = 4

    @Option(help: "Events per transaction (the in-process transport's batch is 64 at most).")
    var batch = 64

    func validate() throws {
        guard orders > 0, products > 1, (1...100).contains(lines), (1...64).contains(batch) else {
            throw ValidationError("--orders must be positive, --products above 1, --lines 1...100, --batch 1...64")
        }
    }

    struct Result: Codable {
        var benchmark = "recommendations"
        var database: String
        var orders: Int
        var products: Int
        var batch: Int
        /// Products per order on average, and co-purchase rows (both ways) each order adds to.
        var productsPerOrder: Double
        var pairRowsPerOrder: Double
        /// Rows per second into recs_purchases, one multi-row INSERT of `batch` rows per transaction.
        var rawInsertsPerSecond: Double
        /// `orders.order.confirmed` events per second applied by the consumer (inbox, purchase,
        /// products, counters).
        var consumerEventsPerSecond: Double
        var consumerToRaw: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.recommendations")
        logger.logLevel = .warning
        guard let databaseURL else {
            let result = try await BenchmarkServer.withEmbeddedServer(name: "recommendations", flags: flags, logger: logger) { _, platform in
                try await measure(platform, database: "SQLite (a file in the temporary directory)")
            }
            return try BenchmarkServer.printJSONLine(result)
        }
        guard case .postgres(let admin) = try DatabaseURL(parsing: databaseURL) else {
            throw ValidationError("--database-url must be a postgres:// URL (without it the benchmark runs on SQLite)")
        }
        let name = "emporium_bench_recommendations_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        let server = PostgresBenchServer(admin: admin, logger: logger)
        try await server.create([name])
        do {
            var endpoint = admin
            endpoint.database = name
            let description = try await server.description()
            var flags = self.flags
            flags["recommendations.database.url"] = DatabaseURL.postgres(endpoint).connectionString
            let result = try await BenchmarkServer.withEmbeddedServer(name: "recommendations", flags: flags, logger: logger) { _, platform in
                try await measure(platform, database: description)
            }
            try await server.drop([name])
            try BenchmarkServer.printJSONLine(result)
        } catch {
            try? await server.drop([name])
            throw error
        }
    }

    /// The process: the recommendations service alone; the inventory it calls for stock is an
    /// address nothing answers at (no list is asked for).
    private var flags: [String: String] {
        ["services": "recommendations", "services.inventory.url": "http://127.0.0.1:9", "seed.demo": "false"]
    }

    private func measure(_ platform: EmporiumPlatform, database description: String) async throws -> Result {
        guard let database = platform.databases["recommendations"] else { throw ValidationError("no recommendations service in the benchmark process") }
        var generator = SystemRandomNumberGenerator()
        let productIds = (0..<products).map { _ in UUID.v7().lowercased }
        // Skewed popularity: product i is drawn with a weight of 1 / (i + 1).
        let weights = (0..<products).map { 1 / Double($0 + 1) }
        let cumulative = weights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
        func product() -> String {
            let target = Double.random(in: 0..<cumulative.last!, using: &generator)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > target { high = middle } else { low = middle + 1 }
            }
            return productIds[low]
        }
        let users = (0..<max(1, orders / 4)).map { _ in UUID.v7().lowercased }
        /// `count` events, with the number of distinct products of each.
        func events(_ count: Int) throws -> [(event: CloudEvent, products: Int)] {
            try (0..<count).map { _ in
                let orderId = UUID.v7().lowercased
                let chosen = Set((0..<Int.random(in: 1...lines, using: &generator)).map { _ in product() })
                let price = Money(amount: 1_000, currency: "USD")
                let order = OrderEventData(
                    orderId: orderId, userId: users.randomElement(using: &generator)!, status: "confirmed",
                    lines: chosen.map { OrderLine(sku: "SKU-1", productId: $0, productName: "Product", quantity: 1, unitPrice: price, lineTotal: price) },
                    total: Money(amount: 1_000 * Int64(chosen.count), currency: "USD"))
                let event = CloudEvent(source: "/emporium/orders", type: OrdersEvents.orderConfirmed, subject: orderId, data: try JSONValue(encoding: order))
                return (event, chosen.count)
            }
        }
        let warmUp = try events(max(orders / 10, batch)).map(\.event)
        let generated = try events(orders)
        let measured = generated.map(\.event)
        let productsPerOrder = Double(generated.map(\.products).reduce(0, +)) / Double(orders)
        let pairRows = Double(generated.map { $0.products * ($0.products - 1) }.reduce(0, +)) / Double(orders)

        // Raw: the same number of rows into recs_purchases, `batch` per transaction.
        let clock = ContinuousClock()
        let rawRows = (0..<orders).map { (order: "raw-\(UUID.v7().lowercased)", user: users[$0 % users.count]) }
        let rawSeconds = try await clock.measure {
            var start = 0
            while start < rawRows.count {
                let chunk = rawRows[start..<min(start + batch, rawRows.count)]
                let at = Timestamp.format(.now)
                try await database.transaction { sql in
                    let rows: [SQLQueryString] = chunk.map { "(\(bind: $0.order), \(bind: $0.user), \(bind: at))" }
                    try await sql.raw("INSERT INTO recs_purchases (order_id, user_id, purchased_at) VALUES \(rows.joined(separator: ", "))").run()
                }
                start += batch
            }
        } / .seconds(1)
        try await database.transaction { sql in try await sql.raw("DELETE FROM recs_purchases WHERE order_id LIKE 'raw-%'").run() }
        let raw = Double(orders) / rawSeconds
        FileHandle.standardError.write(Data("raw inserts into recs_purchases: \(String(format: "%.1f", raw)) rows/s\n".utf8))

        // The consumer, through the process's transport.
        func apply(_ events: [CloudEvent]) async throws {
            var start = 0
            while start < events.count {
                try await platform.transport.publish(Array(events[start..<min(start + batch, events.count)]))
                start += batch
            }
        }
        try await apply(warmUp)
        let consumerSeconds = try await clock.measure { try await apply(measured) } / .seconds(1)
        let consumer = Double(orders) / consumerSeconds
        FileHandle.standardError.write(Data("recommendations consumer: \(String(format: "%.1f", consumer)) events/s\n".utf8))
        let recorded = try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM recs_purchases").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        guard recorded == warmUp.count + measured.count else {
            throw ValidationError("the consumer recorded \(recorded) purchases of \(warmUp.count + measured.count)")
        }
        return Result(
            database: description, orders: orders, products: products, batch: batch, productsPerOrder: productsPerOrder,
            pairRowsPerOrder: pairRows, rawInsertsPerSecond: raw, consumerEventsPerSecond: consumer, consumerToRaw: consumer / raw)
    }
}
