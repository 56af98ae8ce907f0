import AsyncHTTPClient
import EmporiumCore
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Storage
import Synchronization

/// Where purges of the edge cache go (`edgeCache.purge.*`, docs/caching.md).
public struct EdgePurgeSettings: Sendable, Equatable {
    /// The kind of cache purged.
    public enum Kind: String, Sendable, CaseIterable {
        /// Nothing is purged: changes reach the edge within `edgeCache.maxAge`.
        case none
        /// `BAN` with `Surrogate-Key: key …` to each Varnish (deploy/varnish/emporium.vcl).
        case varnish
        /// Fastly's purge by surrogate keys: `POST` the URL with `Surrogate-Key` and `Fastly-Key: <token>`.
        case fastly
        /// Cloudflare's purge by cache tags: `POST` the URL with `{"tags": [...]}` and `Authorization: Bearer <token>`.
        case cloudflare
    }

    public var kind: Kind
    /// Varnish: each cache's base URL; Fastly and Cloudflare: the purge API's URL
    /// (`https://api.fastly.com/service/ID/purge`, `https://api.cloudflare.com/client/v4/zones/ID/purge_cache`).
    public var urls: [String]
    public var token: String?
    /// Tries of one purge before it is given up (counted, logged).
    public var attempts: Int

    public init(kind: Kind = .none, urls: [String] = [], token: String? = nil, attempts: Int = 5) {
        self.kind = kind
        self.urls = urls
        self.token = token
        self.attempts = attempts
    }

    /// Cloudflare takes at most this many tags in one purge.
    static let cloudflareTagsPerCall = 30

    /// The HTTP requests that purge `keys`: one per Varnish, one per batch of tags for a CDN.
    public func requests(for keys: [String]) -> [EdgePurgeRequest] {
        guard !keys.isEmpty else { return [] }
        switch kind {
        case .none:
            return []
        case .varnish:
            return urls.map { EdgePurgeRequest(method: "BAN", url: $0.hasSuffix("/") ? $0 : $0 + "/", headers: [("Surrogate-Key", SurrogateKey.surrogateKeyHeader(keys))]) }
        case .fastly:
            return urls.map {
                EdgePurgeRequest(
                    method: "POST", url: $0, headers: [("Surrogate-Key", SurrogateKey.surrogateKeyHeader(keys)), ("Fastly-Key", token ?? ""), ("Accept", "application/json")])
            }
        case .cloudflare:
            return stride(from: 0, to: keys.count, by: Self.cloudflareTagsPerCall).flatMap { start in
                let tags = Array(keys[start..<min(start + Self.cloudflareTagsPerCall, keys.count)])
                let body = (try? JSONText.encode(["tags": tags])) ?? "{}"
                return urls.map {
                    EdgePurgeRequest(
                        method: "POST", url: $0, headers: [("Authorization", "Bearer \(token ?? "")"), ("Content-Type", "application/json")], body: body)
                }
            }
        }
    }
}

/// One purge request.
public struct EdgePurgeRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: String?

    public init(method: String, url: String, headers: [(String, String)], body: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func == (left: Self, right: Self) -> Bool {
        left.method == right.method && left.url == right.url && left.body == right.body
            && left.headers.map { "\($0.0): \($0.1)" } == right.headers.map { "\($0.0): \($0.1)" }
    }
}

/// Purges surrogate keys from the edge cache, off the path of the writes that call for it:
/// ``purge(_:)`` only queues the keys; this service's loop gathers what came within
/// ``gatherWindow`` into one purge, sends it, and on a failure (no answer, or not 2xx) tries
/// again after 0.5 s, 1 s, 2 s, … up to `edgeCache.purge.attempts` tries, then gives it up,
/// counted (`emporium_edge_purges_total{outcome}`) and logged. A purge lost with the process
/// leaves the edge at most `edgeCache.maxAge` behind.
public final class EdgePurger: Service, Sendable {
    public let settings: EdgePurgeSettings
    private let client: ServiceCallClient?
    /// The keys queued and not yet sent, in the order they came.
    private let pending = Mutex<[String]>([])
    /// A signal that keys are pending (one is enough however many came).
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let logger: Logger
    private let purged: Counter
    private let failed: Counter
    private let retried: Counter

    /// How long keys are gathered into one purge.
    static let gatherWindow: Duration = .milliseconds(50)
    /// The wait before the first retry; doubled for each next one.
    static let firstRetryDelay: Duration = .milliseconds(500)

    /// A purger that purges nothing (`edgeCache.purge.kind` none).
    public static func disabled() -> EdgePurger {
        EdgePurger(settings: EdgePurgeSettings(), client: nil, metrics: NOOPMetricsHandler.instance, logger: Logger(label: "edge-purge"))
    }

    public init(settings: EdgePurgeSettings, client: ServiceCallClient?, metrics: any MetricsFactory, logger: Logger) {
        self.settings = settings
        self.client = client
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.logger = logger
        purged = Counter(label: "emporium_edge_purges_total", dimensions: [("outcome", "purged")], factory: metrics)
        failed = Counter(label: "emporium_edge_purges_total", dimensions: [("outcome", "failed")], factory: metrics)
        retried = Counter(label: "emporium_edge_purges_total", dimensions: [("outcome", "retried")], factory: metrics)
    }

    /// Queues `keys` to be purged; returns at once.
    public func purge(_ keys: [String]) {
        guard settings.kind != .none, !keys.isEmpty else { return }
        pending.withLock { queued in
            for key in keys where !queued.contains(key) { queued.append(key) }
        }
        signal.yield()
    }

    public func run() async throws {
        guard settings.kind != .none, let client else {
            // Nothing to purge: stays until the process stops (a service that ends stops the process).
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            for await _ in signals {
                // Keys that come within the window go out in the same purge.
                try? await Task.sleep(for: Self.gatherWindow)
                let keys = pending.withLock { queued in
                    defer { queued = [] }
                    return queued
                }
                if !keys.isEmpty { await send(keys, client: client) }
            }
        } onGracefulShutdown: { [signal] in
            signal.finish()
        }
    }

    /// Sends one purge, retrying with backoff; never throws.
    func send(_ keys: [String], client: ServiceCallClient) async {
        var delay = Self.firstRetryDelay
        for attempt in 1...max(1, settings.attempts) {
            if await sendOnce(keys, client: client) {
                purged.increment()
                return
            }
            guard attempt < settings.attempts, !Task.isShuttingDownGracefully else { break }
            retried.increment()
            try? await Task.sleep(for: delay)
            delay *= 2
        }
        failed.increment()
        logger.warning(
            "edge cache purge given up; the edge shows the change within edgeCache.maxAge",
            metadata: ["keys": "\(keys.joined(separator: " "))", "kind": "\(settings.kind.rawValue)", "attempts": "\(settings.attempts)"])
    }

    private func sendOnce(_ keys: [String], client: ServiceCallClient) async -> Bool {
        for purge in settings.requests(for: keys) {
            var request = HTTPClientRequest(url: purge.url)
            request.method = HTTPMethod(rawValue: purge.method)
            for (name, value) in purge.headers { request.headers.add(name: name, value: value) }
            if let body = purge.body { request.body = .bytes(ByteBuffer(string: body)) }
            do {
                let response = try await client.client().execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 1 << 16)
                guard (200..<300).contains(response.status.code) else {
                    logger.debug("edge cache purge refused", metadata: ["url": "\(purge.url)", "status": "\(response.status.code)"])
                    return false
                }
            } catch {
                logger.debug("edge cache purge failed", metadata: ["url": "\(purge.url)", "error": "\(error)"])
                return false
            }
        }
        return true
    }
}
