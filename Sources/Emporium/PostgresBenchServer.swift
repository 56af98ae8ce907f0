import ArgumentParser
import Foundation
import Logging
import SQLKit
import Storage
import Synchronization

/// The PostgreSQL server a benchmark runs on, through an admin URL: databases of its own created
/// and dropped, `pgbench` TPC-B runs for the comparison, and the description of the server for
/// the record.
struct PostgresBenchServer: Sendable {
    let admin: DatabaseURL.PostgresEndpoint
    let logger: Logger

    func create(_ names: [String]) async throws {
        try await administer { sql in
            for name in names { try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        }
    }

    func drop(_ names: [String]) async throws {
        try await administer { sql in
            for name in names { try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
        }
    }

    /// Runs `body` on database `name` of the server (the admin's own when nil).
    func administer(database name: String? = nil, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        var endpoint = admin
        if let name { endpoint.database = name }
        let database = try await DatabaseFactory.open(.postgres(endpoint), maximumConnections: 1, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.run() }
            defer { group.cancelAll() }
            try await database.withConnection { sql in try await body(sql) }
        }
    }

    /// The server's version and the settings that bear on commit speed, for the record.
    func description() async throws -> String {
        let text = Mutex("PostgreSQL")
        try await administer { sql in
            let version = try await sql.raw("SHOW server_version").first()?.decode(column: "server_version", as: String.self) ?? "?"
            let fsync = try await sql.raw("SHOW fsync").first()?.decode(column: "fsync", as: String.self) ?? "?"
            let commit = try await sql.raw("SHOW synchronous_commit").first()?.decode(column: "synchronous_commit", as: String.self) ?? "?"
            text.withLock { $0 = "PostgreSQL \(version.split(separator: " ").first.map(String.init) ?? version), fsync \(fsync), synchronous_commit \(commit)" }
        }
        return text.withLock { $0 }
    }

    /// `pgbench -i -s scale` on `database`, then `pgbench -n -c clients -j 2 -t N` (TPC-B-like)
    /// with N transactions per client chosen from a short first run so that the measured run
    /// lasts about `seconds`; returns the tps pgbench reports without initial connection time.
    /// `scale` defaults to `clients`, so TPC-B's branches do not serialise them.
    ///
    /// Not `-T seconds`: pgbench ends a timed run on `SIGALRM`, and a child started by
    /// Foundation's `Process` from this process inherits a signal mask that blocks it (the timed
    /// run never ends).
    func pgbench(database: String, clients: Int, seconds: Int, scale: Int? = nil, program: String? = nil) throws -> Double {
        let program = program ?? ProcessInfo.processInfo.environment["EMPORIUM_TEST_PGBIN"].map { "\($0)/pgbench" } ?? "pgbench"
        let connection = ["-h", admin.host, "-p", String(admin.port), "-U", admin.username]
        _ = try execute(program, connection + ["-i", "-q", "-s", String(scale ?? clients), database])
        func run(transactionsPerClient: Int) throws -> Double {
            let output = try execute(program, connection + ["-n", "-c", String(clients), "-j", "2", "-t", String(transactionsPerClient), database])
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
                let tps = Double(line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." })
            else { throw ValidationError("pgbench printed no tps line:\n\(output)") }
            return tps
        }
        let estimate = try run(transactionsPerClient: 50)  // also the warm-up
        return try run(transactionsPerClient: max(50, Int(estimate * Double(seconds) / Double(clients))))
    }

    /// Waits (2 minutes at most) until the inventory database `name` has stock rows for at least
    /// `count` SKUs (the inventory makes them from the catalog's events), then adds a billion
    /// units to each so that no benchmark runs short; returns the SKUs.
    func stockEverything(database name: String, expecting count: Int) async throws -> [String] {
        let skus = Mutex<[String]>([])
        for _ in 0..<1_200 {
            try await administer(database: name) { sql in
                let rows = try await sql.raw("SELECT sku FROM inventory_stock ORDER BY sku").all()
                skus.withLock { $0 = rows.compactMap { try? $0.decode(column: "sku", as: String.self) } }
            }
            if skus.withLock({ $0.count }) >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard skus.withLock({ $0.count }) >= count else { throw ValidationError("the inventory has stock for fewer than \(count) SKUs") }
        try await administer(database: name) { sql in
            try await sql.raw("UPDATE inventory_stock SET on_hand = on_hand + 1000000000").run()
        }
        return skus.withLock { $0 }
    }

    /// Runs `program` with `arguments`; returns its standard output.
    /// - Throws: when it cannot start or exits with a failure.
    private func execute(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        if let password = admin.password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(program) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)):\n\(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}
