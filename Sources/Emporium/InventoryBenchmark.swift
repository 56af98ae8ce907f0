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
        try await Self.administer(admin, logger: logger) { sql in
            for name in [pgbenchDatabase, inventoryDatabase] { try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        }
        do {
            let result = try await measure(admin: admin, pgbenchDatabase: pgbenchDatabase, inventoryDatabase: inventoryDatabase, logger: logger)
            try await dropDatabases([pgbenchDatabase, inventoryDatabase], admin: admin, logger: logger)
            try BenchmarkServer.printJSONLine(result)
        } catch {
            try? await dropDatabases([pgbenchDatabase, inventoryDatabase], admin: admin, logger: logger)
            throw error
        }
    }

    private func measure(
        admin: DatabaseURL.PostgresEndpoint, pgbenchDatabase: String, inventoryDatabase: String, logger: Logger
    ) async throws -> Result {
        let scale = scale ?? clients
        let tps = try runPGBench(admin: admin, database: pgbenchDatabase, scale: scale)
        FileHandle.standardError.write(Data("pgbench: \(String(format: "%.1f", tps)) tps\n".utf8))

        var endpoint = admin
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
            database: try await serverDescription(admin, logger: logger), clients: clients, seconds: seconds, skus: skus,
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

    // MARK: pgbench

    /// `pgbench -i -s scale`, then `pgbench -n -c clients -j 2 -t N` (TPC-B-like) with N
    /// transactions per client chosen from a short first run so that the measured run lasts about
    /// ``seconds``; returns the tps pgbench reports without initial connection time.
    ///
    /// Not `-T seconds`: pgbench ends a timed run on `SIGALRM`, and a child started by
    /// Foundation's `Process` from this process inherits a signal mask that blocks it (the timed
    /// run never ends).
    private func runPGBench(admin: DatabaseURL.PostgresEndpoint, database: String, scale: Int) throws -> Double {
        let program = pgbench ?? ProcessInfo.processInfo.environment["EMPORIUM_TEST_PGBIN"].map { "\($0)/pgbench" } ?? "pgbench"
        let connection = ["-h", admin.host, "-p", String(admin.port), "-U", admin.username]
        _ = try Self.execute(program, connection + ["-i", "-q", "-s", String(scale), database], password: admin.password)
        func run(transactionsPerClient: Int) throws -> Double {
            let output = try Self.execute(
                program, connection + ["-n", "-c", String(clients), "-j", "2", "-t", String(transactionsPerClient), database],
                password: admin.password)
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
                let tps = Double(line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." })
            else { throw ValidationError("pgbench printed no tps line:\n\(output)") }
            return tps
        }
        let estimate = try run(transactionsPerClient: 50)  // also the warm-up
        return try run(transactionsPerClient: max(50, Int(estimate * Double(seconds) / Double(clients))))
    }

    /// Runs `program` with `arguments`; returns its standard output.
    /// - Throws: when it cannot start or exits with a failure.
    private static func execute(_ program: String, _ arguments: [String], password: String?) throws -> String {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        if let password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: outputData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)):\n\(String(decoding: errorData, as: UTF8.self))")
        }
        return text
    }

    // MARK: The server

    private static func administer(_ admin: DatabaseURL.PostgresEndpoint, logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let database = try await DatabaseFactory.open(.postgres(admin), maximumConnections: 1, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            try await database.withConnection { sql in try await body(sql) }
        }
    }

    private func dropDatabases(_ names: [String], admin: DatabaseURL.PostgresEndpoint, logger: Logger) async throws {
        try await Self.administer(admin, logger: logger) { sql in
            for name in names { try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
        }
    }

    /// The server's version and the settings that bear on commit speed, for the record.
    private func serverDescription(_ admin: DatabaseURL.PostgresEndpoint, logger: Logger) async throws -> String {
        let text = Mutex("PostgreSQL")
        try await Self.administer(admin, logger: logger) { sql in
            let version = try await sql.raw("SHOW server_version").first()?.decode(column: "server_version", as: String.self) ?? "?"
            let fsync = try await sql.raw("SHOW fsync").first()?.decode(column: "fsync", as: String.self) ?? "?"
            let commit = try await sql.raw("SHOW synchronous_commit").first()?.decode(column: "synchronous_commit", as: String.self) ?? "?"
            text.withLock { $0 = "PostgreSQL \(version.split(separator: " ").first.map(String.init) ?? version), fsync \(fsync), synchronous_commit \(commit)" }
        }
        return text.withLock { $0 }
    }
}
