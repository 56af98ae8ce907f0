import ArgumentParser
import AsyncHTTPClient
import EmporiumCore
import EmporiumRuntime
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SQLKit
import Security
import Storage
import Synchronization

/// `emporium bench checkout`: checkouts per second through the public API on PostgreSQL, with 1
/// and with `clients` concurrent shoppers, the whole platform in one process and (with a broker)
/// every service in its own process, next to pgbench's TPC-B tps on the same server in the same
/// run. Prints one JSON line.
///
/// The platform runs as child processes of this one (`emporium serve`), exactly as a user starts
/// it: default log level (one JSON line per request to a file), each service on its own database
/// of the given server (created here, dropped afterwards). Every shopper registers, signs in and
/// saves a card; then each iteration adds two random demo SKUs to its cart and checks out with a
/// new `Idempotency-Key`. Checkouts/s counts whole iterations (the cart add included, as a
/// shopper does it); p50 and p99 are of the checkout request alone. Stock is raised beforehand so
/// that nothing runs short.
struct CheckoutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Measure checkouts/s on PostgreSQL (one process; every service in its own process) next to pgbench TPC-B tps (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("database-url"), help: "An admin URL of the PostgreSQL server (the benchmark creates and drops its databases there).")
    var databaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

    @Option(name: .customLong("broker-url"), help: "A RabbitMQ URL for the run with every service in its own process (left out: that run is skipped).")
    var brokerURL: String?

    @Option(help: "Concurrent shoppers of the second measurement (the first has one), and pgbench -c.")
    var clients = 16

    @Option(help: "Seconds per measurement (after a warm-up of a fifth as long).")
    var seconds = 20

    @Option(help: "The pgbench program (default: $EMPORIUM_TEST_PGBIN/pgbench, else pgbench on the PATH).")
    var pgbench: String?

    func validate() throws {
        guard (1...256).contains(clients), seconds > 0 else { throw ValidationError("--clients must be 1...256, --seconds positive") }
    }

    struct Measurement: Codable {
        var clients: Int
        var checkoutsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var confirmed: Int
        var notConfirmed: Int
    }

    struct Result: Codable {
        var benchmark = "checkout"
        var database: String
        var seconds: Int
        var pgbenchClients: Int
        var pgbenchTPS: Double
        var oneProcess: [Measurement]
        /// Empty without `--broker-url`.
        var processPerService: [Measurement]
        /// One-process checkouts/s at `clients` shoppers divided by pgbench's tps (the issue's goal: at least 0.2).
        var oneProcessToTPCB: Double
    }

    static let services = ["auth", "users", "catalog", "inventory", "cart", "payments", "orders"]

    func run() async throws {
        var logger = Logger(label: "emporium.bench.checkout")
        logger.logLevel = .warning
        guard case .postgres(let admin) = try DatabaseURL(parsing: databaseURL) else { throw ValidationError("--database-url must be a postgres:// URL") }
        let postgres = PostgresBenchServer(admin: admin, logger: logger)
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let pgbenchDatabase = "emporium_bench_pgbench_\(suffix)"
        var created = [pgbenchDatabase]
        defer { Self.dropQuietly(postgres, created) }
        try await postgres.create([pgbenchDatabase])
        let tps = try postgres.pgbench(database: pgbenchDatabase, clients: clients, seconds: seconds, program: pgbench)
        progress("pgbench: \(String(format: "%.1f", tps)) tps")

        var oneProcess: [Measurement] = []
        var perService: [Measurement] = []
        for layout in brokerURL == nil ? [false] : [false, true] {
            let databases = Dictionary(uniqueKeysWithValues: Self.services.map { ($0, "emporium_bench_\(layout ? "p" : "m")_\($0)_\(suffix)") })
            try await postgres.create(Array(databases.values))
            created += databases.values
            let measurements = try await measure(postgres: postgres, databases: databases, perService: layout)
            if layout { perService = measurements } else { oneProcess = measurements }
        }
        let result = Result(
            database: try await postgres.description(), seconds: seconds, pgbenchClients: clients, pgbenchTPS: tps, oneProcess: oneProcess,
            processPerService: perService, oneProcessToTPCB: (oneProcess.last?.checkoutsPerSecond ?? 0) / tps)
        try BenchmarkServer.printJSONLine(result)
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    private static func dropQuietly(_ postgres: PostgresBenchServer, _ names: [String]) {
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            try? await postgres.drop(names)
            semaphore.signal()
        }
        semaphore.wait()
    }

    /// Starts the platform (one process, or one per service), prepares the shoppers and the
    /// stock, and measures with 1 and with ``clients`` shoppers.
    private func measure(postgres: PostgresBenchServer, databases: [String: String], perService: Bool) async throws -> [Measurement] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-bench-checkout-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Every process encrypts personal data with the same keys, as a cluster's instances do.
        let keys = KeyMaterial.generate()
        var environment = [
            "EMPORIUM_SEED_DEMO": "true", "EMPORIUM_LOG_FORMAT": "json", "EMPORIUM_AUTH_BCRYPT_COST": "10",
            "EMPORIUM_SECURITY_DATA_KEYS": keys.dataKeys.map { "\($0.key):\($0.value)" }.joined(separator: ","),
            "EMPORIUM_SECURITY_ACTIVE_DATA_KEY": keys.activeDataKey, "EMPORIUM_SECURITY_INDEX_KEY": keys.indexKey,
        ]
        for (service, name) in databases {
            var endpoint = postgres.admin
            endpoint.database = name
            environment["EMPORIUM_\(service.uppercased())_DATABASE_URL"] = DatabaseURL.postgres(endpoint).connectionString
        }
        var processes: [BenchmarkProcess] = []
        defer { for process in processes.reversed() { process.stop() } }
        func start(_ services: String, _ extra: [String: String] = [:]) async throws -> Int {
            let process = try await BenchmarkProcess.start(
                services: services, environment: environment.merging(extra) { _, new in new }, folder: folder.appendingPathComponent(services))
            processes.append(process)
            return process.port
        }
        let ports: (auth: Int, catalog: Int, cart: Int, payments: Int, orders: Int)
        if perService {
            environment["EMPORIUM_BROKER_URL"] = brokerURL
            environment["EMPORIUM_SERVICES_SECRET"] = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let auth = try await start("auth")
            environment["EMPORIUM_AUTH_JWKS_URL"] = "http://127.0.0.1:\(auth)/.well-known/jwks.json"
            _ = try await start("users")
            let inventory = try await start("inventory")
            let catalog = try await start("catalog")
            let payments = try await start("payments")
            environment["EMPORIUM_SERVICES_CATALOG_URL"] = "http://127.0.0.1:\(catalog)"
            environment["EMPORIUM_SERVICES_INVENTORY_URL"] = "http://127.0.0.1:\(inventory)"
            let cart = try await start("cart")
            environment["EMPORIUM_SERVICES_CART_URL"] = "http://127.0.0.1:\(cart)"
            environment["EMPORIUM_SERVICES_PAYMENTS_URL"] = "http://127.0.0.1:\(payments)"
            let orders = try await start("orders")
            ports = (auth, catalog, cart, payments, orders)
        } else {
            let port = try await start("all")
            ports = (port, port, port, port, port)
        }
        progress(perService ? "every service in its own process: started" : "one process: started")
        let skus = try await postgres.stockEverything(database: databases["inventory"] ?? "", expecting: 100)
        let api = ShopperAPI(ports: ports)
        var shoppers: [ShopperAPI.Shopper] = []
        for index in 0..<clients { shoppers.append(try await api.shopper(index)) }
        var measurements: [Measurement] = []
        for count in [1, clients] {
            let measurement = try await run(api: api, shoppers: Array(shoppers.prefix(count)), skus: skus)
            progress(
                "\(perService ? "process per service" : "one process"), \(count) shoppers: \(String(format: "%.1f", measurement.checkoutsPerSecond)) checkouts/s, p50 \(String(format: "%.1f", measurement.p50Milliseconds)) ms, p99 \(String(format: "%.1f", measurement.p99Milliseconds)) ms"
            )
            measurements.append(measurement)
        }
        return measurements
    }

    /// Every shopper loops (add two SKUs, check out) for ``seconds`` after a warm-up.
    private func run(api: ShopperAPI, shoppers: [ShopperAPI.Shopper], skus: [String]) async throws -> Measurement {
        func loop(for duration: Duration) async throws -> (count: Int, confirmed: Int, latencies: [Duration]) {
            let deadline = ContinuousClock.now + duration
            return try await withThrowingTaskGroup(of: (Int, Int, [Duration]).self) { group in
                for shopper in shoppers {
                    group.addTask {
                        var count = 0, confirmed = 0
                        var latencies: [Duration] = []
                        while ContinuousClock.now < deadline {
                            try await api.add(shopper, sku: skus.randomElement()!)
                            try await api.add(shopper, sku: skus.randomElement()!)
                            let start = ContinuousClock.now
                            let status = try await api.checkout(shopper)
                            latencies.append(ContinuousClock.now - start)
                            count += 1
                            if status == "confirmed" { confirmed += 1 }
                        }
                        return (count, confirmed, latencies)
                    }
                }
                return try await group.reduce(into: (0, 0, [])) { total, part in
                    total.0 += part.0
                    total.1 += part.1
                    total.2 += part.2
                }
            }
        }
        _ = try await loop(for: .milliseconds(seconds * 200))
        let start = ContinuousClock.now
        let (count, confirmed, latencies) = try await loop(for: .seconds(seconds))
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] / .milliseconds(1)
        }
        return Measurement(
            clients: shoppers.count, checkoutsPerSecond: Double(count) / elapsed, p50Milliseconds: percentile(0.5), p99Milliseconds: percentile(0.99),
            confirmed: confirmed, notConfirmed: count - confirmed)
    }
}

/// The public API calls of a benchmark shopper.
struct ShopperAPI: Sendable {
    struct Shopper: Sendable {
        var token: String
        var method: String
    }

    let ports: (auth: Int, catalog: Int, cart: Int, payments: Int, orders: Int)

    func shopper(_ index: Int) async throws -> Shopper {
        let email = "bench-\(index)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let credentials = #"{"email": "\#(email)", "password": "correct horse battery staple 42"}"#
        _ = try await send(.POST, ports.auth, "/v1/auth/register", credentials, expect: 201)
        let login = try await send(.POST, ports.auth, "/v1/auth/login", credentials, expect: 200)
        guard let token = login["accessToken"] as? String else { throw ValidationError("no access token in \(login)") }
        let year = Calendar(identifier: .gregorian).component(.year, from: .now) + 2
        var card: [String: Any] = [:]
        for attempt in 0..<50 {
            do {
                card = try await send(
                    .POST, ports.payments, "/v1/payment-methods", #"{"number": "4242424242424242", "expMonth": 12, "expYear": \#(year), "cvc": "123"}"#,
                    token: "Bearer \(token)", expect: 201)
                break
            } catch where attempt < 49 {
                try await Task.sleep(for: .milliseconds(100))  // a process fetching the auth key set
            }
        }
        guard let method = card["id"] as? String else { throw ValidationError("no payment method in \(card)") }
        return Shopper(token: "Bearer \(token)", method: method)
    }

    func add(_ shopper: Shopper, sku: String) async throws {
        _ = try await send(.POST, ports.cart, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": 1}"#, token: shopper.token, expect: nil)
    }

    /// Checks out; the order's status.
    func checkout(_ shopper: Shopper) async throws -> String {
        let body = #"{"paymentMethodId": "\#(shopper.method)", "shippingAddress": {"line1": "1 Bench Road", "city": "London", "postalCode": "N1 1AA", "country": "GB"}}"#
        let order = try await send(.POST, ports.orders, "/v1/checkout", body, token: shopper.token, key: UUID().uuidString, expect: nil)
        return order["status"] as? String ?? "failed"
    }

    private func send(
        _ method: HTTPMethod, _ port: Int, _ path: String, _ json: String, token: String? = nil, key: String? = nil, expect: Int?
    ) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        if let expect, Int(response.status.code) != expect {
            throw ValidationError("\(method) \(path) answered \(response.status.code): \(String(buffer: body))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }
}
