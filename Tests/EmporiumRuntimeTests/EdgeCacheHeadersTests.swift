import EmporiumKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// The headers of EdgeCachePolicy's table on every route class: public reads cacheable with
/// validators and surrogate keys (and 304 on a match), anything of a caller private, everything
/// else `no-store` (docs/caching.md).
@Suite struct EdgeCacheHeadersTests {
    static let publicControl = "public, max-age=60, stale-while-revalidate=30, stale-if-error=86400"

    @Test("public reads: Cache-Control from the settings, a strong ETag, Vary, surrogate keys; 304 for a matching validator")
    func publicReads() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ in
            let list = try await client.execute(uri: "/v1/products?limit=2", method: .get) { $0 }
            #expect(list.status == .ok)
            #expect(list.headers[.cacheControl] == Self.publicControl)
            #expect(list.headers[.vary] == "Authorization, Cookie")
            #expect(list.headers[.surrogateKey] == "products")
            #expect(list.headers[.cacheTag] == "products")
            let listTag = try #require(list.headers[.eTag])
            #expect(listTag.hasPrefix("\"") && !listTag.hasPrefix("W/"), "a strong tag: \(listTag)")
            let notModified = try await client.execute(uri: "/v1/products?limit=2", method: .get, headers: [.ifNoneMatch: listTag]) { $0 }
            #expect(notModified.status == .notModified)
            #expect(notModified.body.readableBytes == 0)
            #expect(notModified.headers[.eTag] == listTag && notModified.headers[.cacheControl] == Self.publicControl)
            let other = try await client.execute(uri: "/v1/products?limit=3", method: .get, headers: [.ifNoneMatch: listTag]) { $0 }
            #expect(other.status == .ok, "another list, another tag")

            let id = try #require(((list.json["items"] as? [[String: Any]])?.first?["id"]) as? String)
            let category = try #require(((list.json["items"] as? [[String: Any]])?.first?["categoryId"]) as? String)
            let product = try await client.execute(uri: "/v1/products/\(id)", method: .get) { $0 }
            #expect(product.headers[.surrogateKey] == "products product-\(id) category-\(category)")
            #expect(product.headers[.cacheTag] == "products,product-\(id),category-\(category)")
            let modified = try #require(product.headers[.lastModified])
            #expect(HTTPDate.parse(modified) != nil, "an HTTP date: \(modified)")
            let tag = try #require(product.headers[.eTag])
            let validators: [HTTPFields] = [[.ifNoneMatch: tag], [.ifNoneMatch: "W/\(tag)"], [.ifNoneMatch: "\"x\", \(tag)"], [.ifModifiedSince: modified]]
            for validator in validators {
                let conditional = try await client.execute(uri: "/v1/products/\(id)", method: .get, headers: validator) { $0 }
                #expect(conditional.status == .notModified, "\(validator)")
            }
            let earlier = HTTPDate.format(try #require(HTTPDate.parse(modified)).addingTimeInterval(-60))
            #expect(try await client.execute(uri: "/v1/products/\(id)", method: .get, headers: [.ifModifiedSince: earlier]) { $0.status } == .ok)
            #expect(try await client.execute(uri: "/v1/categories", method: .get) { $0.headers[.surrogateKey] } == "categories")
        }
    }

    @Test("anything of a caller is private: a token or a cookie on a public read, carts, profiles, every other route")
    func privateAnswers() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ in
            let id = try await client.execute(uri: "/v1/products?limit=1", method: .get) {
                try #require(((($0.json["items"] as? [[String: Any]])?.first)?["id"]) as? String)
            }
            let personal: [HTTPFields] = [[.authorization: TestPlatform.writerAuthorization ?? "Bearer x"], [.cookie: "sf_session=abc"]]
            for headers in personal {
                let response = try await client.execute(uri: "/v1/products/\(id)", method: .get, headers: headers) { $0 }
                #expect(response.headers[.cacheControl] == "private, no-store", "\(headers)")
                #expect(response.headers[.surrogateKey] == nil)
            }
            for path in ["/v1/cart", "/v1/inventory/NOPE", "/health/live", "/v1/products/not-a-uuid"] {
                let control = try await client.execute(uri: path, method: .get) { $0.headers[.cacheControl] }
                #expect(control == "no-store" || control == "private, no-store", "\(path): \(control ?? "none")")
            }
            let created = try await client.execute(
                uri: "/v1/categories", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(string: #"{"slug": "edge-\#(UUID().uuidString.prefix(6).lowercased())", "name": "Edge"}"#)) { $0 }
            #expect(created.status == .created)
            #expect(created.headers[.cacheControl] == "private, no-store", "a write is never cached")
        }
    }
}
