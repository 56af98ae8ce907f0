import ArgumentParser
import AsyncHTTPClient
import Cart
import EmporiumContracts
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import RESP
import Storage
import Synchronization

/// `emporium bench cart`: `POST /v1/cart/items` requests per second with the carts in Redis,
/// next to the cached `GET /v1/products/{id}` (and `GET /v1/cart` of a priced 10-line cart) in
/// the same run, over HTTP against `emporium serve --services catalog,inventory,cart` started as a
/// child process the way a user starts it (SQLite in a temp folder with the demo catalog, the
/// default log level unless `--log-level` says otherwise: one JSON access line per request, to a
/// file). Prints one JSON line.
///
/// Each client adds one unit of a demo SKU at a time to a guest cart of its own and starts a new
/// cart every 50 lines, so no line outgrows the demo stock. The carts made are deleted from Redis
/// at the end.
struct CartBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cart",
        abstract: "Measure cart add-item requests/s with Redis next to a cached product GET (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("redis-url"), help: "The Redis the carts and the product cache use.")
    var redisURL = "redis://127.0.0.1:6379"

    @Option(help: "Requests per measurement.")
    var requests = 20_000

    @Option(help: "Concurrent clients.")
    var concurrency = 16

    @Option(help: "Rounds; each measurement reports its best round.")
    var rounds = 2

    @Option(name: .customLong("log-level"), help: "The server's log level (default: the server's own default, info: an access line per request).")
    var logLevel: String?

    func validate() throws {
        guard requests > 0, (1...1000).contains(concurrency), (1...20).contains(rounds) else {
            throw ValidationError("--requests must be positive, --concurrency 1...1000, --rounds 1...20")
        }
    }

    struct Result: Codable {
        var benchmark = "cart"
        var concurrency: Int
        var requests: Int
        /// The server's log level (`info` unless `--log-level` changed it).
        var logLevel: String
        var productGetPerSecond: Double
        var cartAddItemPerSecond: Double
        var cartGetPerSecond: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.cart")
        logger.logLevel = .warning
        let carts = Mutex<Set<String>>([])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-bench-cart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var environment = ["EMPORIUM_REDIS_URL": redisURL, "EMPORIUM_SEED_DEMO": "true", "EMPORIUM_LOG_FORMAT": "json"]
        if let logLevel { environment["EMPORIUM_LOG_LEVEL"] = logLevel }
        let server = try await BenchmarkProcess.start(services: "catalog,inventory,cart", environment: environment, folder: folder)
        let result: Result
        do {
            result = try await measure(base: "http://127.0.0.1:\(server.port)", carts: carts)
            server.stop()
        } catch {
            server.stop()
            throw error
        }
        try await deleteCarts(carts.withLock { $0 })
        try BenchmarkServer.printJSONLine(result)
    }

    private func measure(base: String, carts: borrowing Mutex<Set<String>>) async throws -> Result {
        let client = HTTPClient.shared
        let page = try await send(client, "GET", "\(base)/v1/products?limit=100")
        guard page.status == .ok, let items = (try JSONSerialization.jsonObject(with: Data(buffer: page.body)) as? [String: Any])?["items"] as? [[String: Any]],
            let productID = items.first?["id"] as? String
        else { throw ValidationError("the demo catalog did not answer") }
        let skus = items.compactMap { (($0["variants"] as? [[String: Any]])?.first?["sku"]) as? String }
        guard skus.count >= 50 else { throw ValidationError("the demo catalog has fewer than 50 products") }
        // The inventory makes the seeded SKUs' stock rows from the catalog's events, just after start-up.
        for sku in skus {
            var stocked = false
            for _ in 0..<600 where !stocked {
                stocked = try await send(client, "GET", "\(base)/v1/inventory/\(sku)").status == .ok
                if !stocked { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard stocked else { throw ValidationError("the inventory has no stock row for \(sku) after 30 s") }
        }

        // One guest cart per client; each starts a new cart after 50 lines.
        let workers = (0..<concurrency).map { _ in CartWorker(skus: skus) }
        let next = Atomic(0)
        let addItem: @Sendable () async throws -> Void = {
            let worker = workers[next.add(1, ordering: .relaxed).oldValue % workers.count]
            try await worker.addOne(client: client, base: base)
        }
        // A priced cart of 10 lines to read.
        let reader = CartWorker(skus: skus)
        for _ in 0..<10 { try await reader.addOne(client: client, base: base) }
        let readerCart = try reader.currentCart()
        let productURL = "\(base)/v1/products/\(productID)"
        let cartURL = "\(base)/v1/cart"

        _ = try await timed(count: min(requests, 1000)) { try await expectOK(client, productURL) }  // warm-up
        _ = try await timed(count: min(requests, 1000), addItem)
        var product = Double.infinity, add = Double.infinity, read = Double.infinity
        for _ in 0..<rounds {
            product = min(product, try await timed(count: requests) { try await expectOK(client, productURL) })
            add = min(add, try await timed(count: requests, addItem))
            read = min(read, try await timed(count: requests) { try await expectOK(client, cartURL, cart: readerCart) })
        }
        carts.withLock { carts in
            for worker in workers + [reader] { carts.formUnion(worker.carts) }
        }
        return Result(
            concurrency: concurrency, requests: requests, logLevel: logLevel ?? "info",
            productGetPerSecond: Double(requests) / product, cartAddItemPerSecond: Double(requests) / add,
            cartGetPerSecond: Double(requests) / read)
    }

    /// Deletes the benchmark's carts from Redis.
    private func deleteCarts(_ ids: Set<String>) async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL))
        do {
            for chunk in Array(ids).chunked(500) {
                _ = try await redis.send(RESPCommand("DEL", chunk.map { .string("emporium:cart:guest:\($0)") }))
            }
        } catch {
            await redis.close()
            throw error
        }
        await redis.close()
    }

    private func expectOK(_ client: HTTPClient, _ url: String, cart: String? = nil) async throws {
        let response = try await send(client, "GET", url, cart: cart)
        guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status)") }
    }

    /// Runs `operation` `count` times from ``concurrency`` tasks; returns the seconds taken.
    private func timed(count: Int, _ operation: @escaping @Sendable () async throws -> Void) async throws -> Double {
        let remaining = Countdown(count)
        let elapsed = try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask { while remaining.take() { try await operation() } }
                }
                try await group.waitForAll()
            }
        }
        return elapsed / .seconds(1)
    }
}

/// One client's guest cart: adds one unit of the next SKU, and starts a new cart after 50 lines.
private final class CartWorker: Sendable {
    private struct State {
        var cart: String?
        var lines = 0
        var carts: Set<String> = []
        var next = 0
    }

    private let skus: [String]
    private let state = Mutex(State())

    init(skus: [String]) {
        self.skus = skus.shuffled()
    }

    var carts: Set<String> { state.withLock { $0.carts } }

    func currentCart() throws -> String {
        guard let cart = state.withLock({ $0.cart }) else { throw ValidationError("no cart was made") }
        return cart
    }

    func addOne(client: HTTPClient, base: String) async throws {
        let (cart, sku) = state.withLock { state -> (String?, String) in
            if state.lines >= 50 {
                state.cart = nil
                state.lines = 0
            }
            defer { state.next += 1; state.lines += 1 }
            return (state.cart, skus[state.next % skus.count])
        }
        let response = try await send(client, "POST", "\(base)/v1/cart/items", body: #"{"sku": "\#(sku)", "quantity": 1}"#, cart: cart)
        guard response.status == .ok, let issued = response.headers.first(name: "X-Cart-Id") else {
            throw ValidationError("POST /v1/cart/items answered \(response.status): \(String(buffer: response.body))")
        }
        state.withLock { state in
            if state.cart == nil { state.cart = issued }
            state.carts.insert(issued)
        }
    }
}

private func send(
    _ client: HTTPClient, _ method: String, _ url: String, body: String? = nil, cart: String? = nil
) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    if let cart { request.headers.add(name: "X-Cart-Id", value: cart) }
    let response = try await client.execute(request, timeout: .seconds(30))
    return (response.status, response.headers, try await response.body.collect(upTo: 1 << 20))
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
