import ArgumentParser
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import Foundation
import Inventory
import Logging
import Messaging
import SQLKit
import Storage
import Synchronization

/// `emporium bench inventory`: reservations per second on PostgreSQL, next to pgbench's TPC-B
/// transactions per second on the same server in the same run (a reservation is one short
/// transaction too). Prints one JSON line.
///
/// On a server given by an admin URL it creates two databases of its own (dropped afterwards):
/// one for `pgbench -i` and its run (`-c clients -j 2 -T seconds`), one for the inventory. The
/// inventory runs in process as `emporium serve --services inventory` would (its pool, outbox
/// relay and expiry job); `clients` tasks call its `InventoryAPI.reserve` (what orders in the
/// same process call; over HTTP the internal route adds the server's cost) for `seconds`, each
/// reservation one line of one unit under a new order id: first all on one hot SKU, then
/// spread at random over `skus` SKUs. Stock is large enough that nothing runs short.
struct InventoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Measure reservations/s on PostgreSQL (one hot SKU, many SKUs) next to pgbench TPC-B tps (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("database-url"), help: "An admin URL of the PostgreSQL server (the benchmark creates and drops its databases there).")
    var databaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

    @Option(help: "Concurrent clients, for the reservations and for pgbench -c.")
    var clients = 16

    @Option(help: "Seconds per measurement (after a warm-up of a fifth as long).")
    var seconds = 20

    @Option(help: "SKUs the second measurement spreads its reservations over.")
    var skus = 1_000

    @Option(help: "The pgbench program (default: $EMPORIUM_TEST_PGBIN/pgbench, else pgbench on the PATH).")
    var pgbench: String?

    @Option(help: "pgbench -i scale factor (default: the number of clients, so TPC-B's branches do not serialise them).")
    var scale: Int?

    func validate() throws {
        guard (1...256).contains(clients), seconds > 0, skus > 0 else {
            throw ValidationError("--clients must be 1...256, --seconds and --skus positive")
        }
    }

    struct Result: Codable {
        var benchmark = "inventory"
        var database: String
        var clients: Int
        var seconds: Int
        var skus: Int
        var pgbenchScale: Int
        /// pgbench's TPC-B-like transactions per second (without connection time).
        var pgbenchTPS: Double
        var hotSKUReservationsPerSecond: Double
        var manySKUsReservationsPerSecond: Double
        /// Reservations/s over `skus` SKUs divided by pgbench's tps (the issue's goal: at least 0.5).
        var manySKUsToTPCB: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.inventory")
        logger.logLevel = .warning
        guard case .postgres(let admin) = try DatabaseURL(parsing: databaseURL) else {
            throw ValidationError("--database-url must be a postgres:// URL")
        }
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let pgbenchDatabase = "emporium_bench_pgbench_\(suffix)", inventoryDatabase = "emporium_bench_inventory_\(suffix)"
        let server = PostgresBenchServer(admin: admin, logger: logger)
        try await server.create([pgbenchDatabase, inventoryDatabase])
        do {
            let result = try await measure(server: server, pgbenchDatabase: pgbenchDatabase, inventoryDatabase: inventoryDatabase, logger: logger)
            try await server.drop([pgbenchDatabase, inventoryDatabase])
            try BenchmarkServer.printJSONLine(result)
        } catch {
            try? await server.drop([pgbenchDatabase, inventoryDatabase])
            throw error
        }
    }

    private func measure(server: PostgresBenchServer, pgbenchDatabase: String, inventoryDatabase: String, logger: Logger) async throws -> Result {
        let scale = scale ?? clients
        let tps = try server.pgbench(database: pgbenchDatabase, clients: clients, seconds: seconds, scale: scale, program: pgbench)
        FileHandle.standardError.write(Data("pgbench: \(String(format: "%.1f", tps)) tps\n".utf8))

        var endpoint = server.admin
        endpoint.database = inventoryDatabase
        let config = try await ConfigurationLoader.reader(
            flags: [
                "services": "inventory", "inventory.database.url": DatabaseURL.postgres(endpoint).connectionString, "http.port": "0",
                "seed.demo": "false", "log.level": "warning", "database.maxConnections": "\(clients + 4)",
            ],
            environment: [:], file: nil
        )
        let settings = try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
        let (hot, many) = try await BenchmarkServer.withServer(settings: settings, logger: logger) { _, platform in
            guard let inventory = platform.services.lazy.compactMap({ $0 as? InventoryService }).first,
                let database = platform.databases["inventory"]
            else { throw ValidationError("no inventory service in the benchmark process") }
            let store = InventoryStore(database: database, outbox: .init(service: "inventory"))
            let skuNames = (0..<skus).map { String(format: "BENCH-%06d", $0) }
            try await store.createMissingStock(skus: ["HOT-SKU"] + skuNames, onHand: 1_000_000_000)
            let hot = try await reservationsPerSecond(inventory) { "HOT-SKU" }
            FileHandle.standardError.write(Data("one hot SKU: \(String(format: "%.1f", hot)) reservations/s\n".utf8))
            let many = try await reservationsPerSecond(inventory) { skuNames.randomElement()! }
            FileHandle.standardError.write(Data("\(skus) SKUs: \(String(format: "%.1f", many)) reservations/s\n".utf8))
            return (hot, many)
        }
        return Result(
            database: try await server.description(), clients: clients, seconds: seconds, skus: skus,
            pgbenchScale: scale, pgbenchTPS: tps, hotSKUReservationsPerSecond: hot, manySKUsReservationsPerSecond: many,
            manySKUsToTPCB: many / tps
        )
    }

    /// Reservations per second from ``clients`` tasks over ``seconds`` (after a warm-up), each
    /// of one unit of the SKU `pick` returns, under a new order id.
    private func reservationsPerSecond(_ inventory: InventoryService, pick: @escaping @Sendable () -> String) async throws -> Double {
        let clients = self.clients
        func run(for duration: Duration) async throws -> Int {
            let deadline = ContinuousClock.now + duration
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var reserved = 0
                        while ContinuousClock.now < deadline {
                            let outcome = try await inventory.reserve(ReservationRequest(orderId: .v7(), lines: [ReservationLine(sku: pick(), quantity: 1)]))
                            guard case .reservation = outcome else { throw ValidationError("a reservation ran short: \(outcome)") }
                            reserved += 1
                        }
                        return reserved
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        _ = try await run(for: .milliseconds(seconds * 200))
        let start = ContinuousClock.now
        let count = try await run(for: .seconds(seconds))
        return Double(count) / ((ContinuousClock.now - start) / .seconds(1))
    }
}
