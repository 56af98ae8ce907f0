import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOFoundationCompat
import RESP
import Testing
import Storage

/// `GET /v1/products/{id}` reads through the two-level cache; `PATCH` invalidates it.
enum ProductCacheContract {
    /// Creates an active product and returns its id and the body `POST` answered with (encoded
    /// without the cache).
    static func createProduct(_ client: any TestClientProtocol, sku: String) async throws -> (id: String, body: ByteBuffer) {
        let category = try await CatalogAPIContract.firstCategory(client)
        return try await client.execute(
            uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
            body: ByteBuffer(json: CatalogAPIContract.validProduct(sku: sku, categoryId: category))
        ) { response in
            #expect(response.status == .created)
            return (try #require(response.json["id"] as? String), response.body)
        }
    }

    /// A body as a JSON object, for comparisons that ignore key order (JSONEncoder's varies).
    static func json(_ body: ByteBuffer) -> NSDictionary? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? NSDictionary
    }

    /// The product `id` as `GET /v1/products` lists it (a read that does not use the cache).
    static func listed(_ client: any TestClientProtocol, _ id: String) async throws -> NSDictionary? {
        var cursor: String?
        repeat {
            let uri = "/v1/products?limit=100" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await client.execute(uri: uri, method: .get) { json($0.body) }
            let items = page?["items"] as? [NSDictionary] ?? []
            if let item = items.first(where: { $0["id"] as? String == id }) { return item }
            cursor = page?["nextCursor"] as? String
        } while cursor != nil
        return nil
    }

    /// The product `id` as the list shows it once the list (the search read model, which follows
    /// writes through their events) has `version`.
    static func listed(_ client: any TestClientProtocol, _ id: String, version: Int) async throws -> NSDictionary? {
        var listing = try await listed(client, id)
        for _ in 0..<2_400 where (listing?["version"] as? Int) != version {
            try await Task.sleep(for: .milliseconds(25))
            listing = try await listed(client, id)
        }
        return listing
    }

    static func get(_ client: any TestClientProtocol, _ id: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/products/\(id)", method: .get) { $0 }
    }

    static func patch(_ client: any TestClientProtocol, _ id: String, _ json: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/products/\(id)", method: .patch, headers: TestPlatform.writerHeaders(), body: ByteBuffer(json: json)
        ) { $0 }
    }

    /// A cached read returns the same bytes and headers as an uncached one; a write is visible
    /// at once on the next read.
    static func readsThroughAndInvalidates(extra: [String: String], redisURL: String?) async throws {
        try await TestPlatform.withClient(.sqlite, extra: extra) { client, platform throws in
            let (id, created) = try await createProduct(client, sku: "CACHE-1")

            let first = try await get(client, id)  // a miss: loaded from the database
            let second = try await get(client, id)  // a hit
            #expect(first.status == .ok)
            #expect(second.status == .ok)
            #expect(json(first.body) == (try await listed(client, id, version: 1)), "the same product as the (uncached) list shows")
            #expect((json(first.body)?["name"] as? String) == (json(created)?["name"] as? String))
            #expect(second.body == first.body, "a hit answers the very bytes the miss produced")
            #expect(second.headers[.contentType] == "application/json; charset=utf-8")
            #expect(second.headers[.contentLength] == String(created.readableBytes))

            if let redisURL {
                // The version (8 bytes), the Last-Modified and Surrogate-Key values (each after its
                // length in 2 bytes), then the body, under the catalog's namespace.
                let redis = try RedisClient(url: redisURL)
                var stored = try #require(try await redis.get("emporium:catalog:product:v3:\(id)"))
                await redis.close()
                #expect(stored.readInteger(as: Int64.self) == 1)
                for header in [first.headers[.lastModified], first.headers[.surrogateKey]] {
                    let length = stored.readInteger(as: UInt16.self)
                    let value = stored.readString(length: Int(length ?? 0))
                    #expect(value != nil && value == header)
                }
                #expect(stored == first.body)
                #expect(first.headers[.eTag] == "\"1\"")
            }

            let renamed = try await patch(client, id, #"{"name": "Trail Runner 2"}"#)
            #expect(renamed.status == .ok)
            #expect(renamed.json["name"] as? String == "Trail Runner 2")
            let afterRename = try await get(client, id)
            #expect(afterRename.json["name"] as? String == "Trail Runner 2", "the write invalidated the cached body")
            #expect(json(afterRename.body) == (try await listed(client, id, version: 2)))

            #expect(try await patch(client, id, #"{"status": "archived"}"#).status == .ok)
            #expect(try await get(client, id).status == .notFound, "archived products disappear at once")
            #expect(try await patch(client, id, #"{"status": "active"}"#).status == .ok)
            #expect(try await get(client, id).json["status"] as? String == "active")
            _ = platform
        }
    }
}

@Suite("Product read cache")
struct ProductCacheTests {
    @Test("in memory: cached reads equal uncached ones; writes invalidate")
    func inMemory() async throws {
        try await ProductCacheContract.readsThroughAndInvalidates(extra: [:], redisURL: nil)
    }

    @Test("with Redis: cached reads equal uncached ones; writes invalidate", .enabled(if: TestRedisURLs.url != nil, TestRedisURLs.reason))
    func redis() async throws {
        let url = try #require(TestRedisURLs.url)
        try await ProductCacheContract.readsThroughAndInvalidates(extra: ["redis.url": url], redisURL: url)
    }

    @Test("PATCH validates like POST and answers 404 for unknown products")
    func patchValidation() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ throws in
            let (id, _) = try await ProductCacheContract.createProduct(client, sku: "CACHE-2")
            for (body, field) in [(#"{"name": "  "}"#, "name"), (#"{"status": "gone"}"#, "status"), ("{}", "body")] {
                let response = try await ProductCacheContract.patch(client, id, body)
                #expect(response.status == .badRequest, "\(body)")
                let fields = (response.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                #expect(fields == [field], "\(body)")
            }
            let missing = try await ProductCacheContract.patch(client, "0190b2f0-0000-7000-8000-000000000000", #"{"name": "x"}"#)
            #expect(missing.status == .notFound)
            #expect(try await ProductCacheContract.patch(client, "nope", #"{"name": "x"}"#).status == .badRequest)
        }
    }
}
