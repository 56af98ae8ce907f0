import EmporiumKit
import Foundation
import Logging
import Testing

/// Purges of the edge cache: the requests each kind sends, and a purge that cannot be sent
/// retried, then given up and counted, never thrown at the writer.
@Suite("Edge cache purges")
struct EdgePurgeTests {
    @Test("Varnish: a BAN per cache with the keys; Fastly: POST with Surrogate-Key and its key; Cloudflare: POST of tags, 30 at most per call")
    func requestsPerKind() throws {
        let keys = ["products", "product-1", "category-2"]
        let varnish = EdgePurgeSettings(kind: .varnish, urls: ["http://varnish-a:6081", "http://varnish-b:6081/"])
        #expect(varnish.requests(for: keys) == [
            EdgePurgeRequest(method: "BAN", url: "http://varnish-a:6081/", headers: [("Surrogate-Key", "products product-1 category-2")]),
            EdgePurgeRequest(method: "BAN", url: "http://varnish-b:6081/", headers: [("Surrogate-Key", "products product-1 category-2")]),
        ])
        let fastly = EdgePurgeSettings(kind: .fastly, urls: ["https://api.fastly.com/service/SVC/purge"], token: "secret")
        #expect(fastly.requests(for: keys) == [
            EdgePurgeRequest(
                method: "POST", url: "https://api.fastly.com/service/SVC/purge",
                headers: [("Surrogate-Key", "products product-1 category-2"), ("Fastly-Key", "secret"), ("Accept", "application/json")]),
        ])
        let cloudflare = EdgePurgeSettings(kind: .cloudflare, urls: ["https://api.cloudflare.com/client/v4/zones/Z/purge_cache"], token: "t")
        let many = (0..<31).map { "product-\($0)" }
        let calls = cloudflare.requests(for: many)
        #expect(calls.count == 2)
        #expect(calls.allSatisfy { $0.method == "POST" && $0.headers.contains { $0 == ("Authorization", "Bearer t") } })
        let first = try JSONSerialization.jsonObject(with: Data((calls[0].body ?? "").utf8)) as? [String: [String]]
        #expect(first?["tags"] == Array(many.prefix(30)))
        #expect(EdgePurgeSettings().requests(for: keys).isEmpty, "none purges nothing")
        #expect(varnish.requests(for: []).isEmpty)
    }

    @Test("a purge nobody answers is tried again with backoff, then given up and counted; purge() never waits")
    func unreachableCacheIsRetriedThenGivenUp() async throws {
        let metrics = MetricsRegistry()
        let settings = EdgePurgeSettings(kind: .varnish, urls: ["http://127.0.0.1:9"], attempts: 2)
        let client = ServiceCallClient(connectTimeout: .seconds(1))
        // Its run() shuts the HTTP client down once cancelled.
        let clientLifetime = Task { try await client.run() }
        let purger = EdgePurger(settings: settings, client: client, metrics: metrics.factory, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        let running = Task { try await purger.run() }
        purger.purge(["products"])
        #expect(ContinuousClock.now - started < .milliseconds(100), "queued, not sent, by the caller")
        func count(_ outcome: String) -> Int {
            let text = String(decoding: metrics.exposition(), as: UTF8.self)
            return text.split(separator: "\n").first { $0.hasPrefix("emporium_edge_purges_total{") && $0.contains("outcome=\"\(outcome)\"") }
                .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        var waited = 0
        while count("failed") == 0, waited < 100 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(count("retried") == 1)
        #expect(count("failed") == 1)
        #expect(count("purged") == 0)
        running.cancel()
        clientLifetime.cancel()
        _ = try? await clientLifetime.value
    }
}

@Suite("HTTP dates")
struct HTTPDateTests {
    @Test("formatted as IMF-fixdate without a formatter, the same as Foundation's, and parsed back")
    func imfFixdate() {
        let reference = DateFormatter()
        reference.locale = Locale(identifier: "en_US_POSIX")
        reference.timeZone = TimeZone(identifier: "GMT")
        reference.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        var generator = SystemRandomNumberGenerator()
        for seconds in [0, 1, 86_399, 86_400, 951_782_400, 4_107_542_399, -1, -86_401] + (0..<500).map({ _ in Int.random(in: -2_000_000_000...5_000_000_000, using: &generator) }) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds) + 0.75)
            #expect(HTTPDate.format(date) == reference.string(from: date), "\(seconds)")
            #expect(HTTPDate.parse(HTTPDate.format(date)) == Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }
}
