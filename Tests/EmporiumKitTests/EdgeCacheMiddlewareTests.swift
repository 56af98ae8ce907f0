import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The headers EdgeCacheMiddleware writes from what a handler gave: the route's surrogate keys
/// with the handler's own (each once, in order), `Vary` added to the handler's, the caller's
/// requests private (the platform-wide table is tested in EdgeCacheHeadersTests).
@Suite("Edge cache middleware")
struct EdgeCacheMiddlewareTests {
    /// A router with the middleware and `/v1/products/{id}` (a public route of the table, whose
    /// key is `products`) answering with the headers the `id` names.
    func withRouter(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        router.add(middleware: EdgeCacheMiddleware(policy: EdgeCachePolicy()))
        router.get("/v1/products/{id}") { _, context -> Response in
            var response = Response(status: .ok, headers: [.eTag: "\"1\""])
            switch context.parameters.get("id") {
            case "own": response.headers[.surrogateKey] = "product-1 category-2"
            case "complete": response.headers[.surrogateKey] = "products product-1 category-2"
            case "repeated": response.headers[.surrogateKey] = "product-1 products category-2"
            case "prefixed": response.headers[.surrogateKey] = "productsx product-1"
            case "origin": response.headers[.vary] = "Origin"
            case "cookie": response.headers[.vary] = "origin, cookie"
            default: break
            }
            return response
        }
        try await Application(router: router).test(.router, test)
    }

    @Test("the route's keys first, then the handler's own not already named, as Surrogate-Key and Cache-Tag")
    func surrogateKeys() async throws {
        let expected = [
            "none": "products",
            "own": "products product-1 category-2",
            "complete": "products product-1 category-2",
            "repeated": "products product-1 category-2",
            "prefixed": "products productsx product-1",
        ]
        try await withRouter { client in
            for (id, keys) in expected {
                try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
                    #expect(response.headers[.surrogateKey] == keys, "\(id)")
                    #expect(response.headers[.cacheTag] == keys.replacingOccurrences(of: " ", with: ","), "\(id)")
                    #expect(response.headers[values: .surrogateKey].count == 1 && response.headers[values: .cacheTag].count == 1)
                }
            }
        }
    }

    @Test("Vary: Authorization and Cookie added to what the handler varies on, each name once")
    func vary() async throws {
        try await withRouter { client in
            for (id, vary) in [("none", "Authorization, Cookie"), ("origin", "Origin, Authorization, Cookie"), ("cookie", "origin, cookie, Authorization")] {
                try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
                    #expect(response.headers[.vary] == vary, "\(id)")
                    #expect(response.headers[.cacheControl]?.hasPrefix("public, ") == true)
                }
            }
        }
    }

    @Test("a request with a token or a cookie gets a private answer without surrogate keys, and its validators still answer 304")
    func callersAnswers() async throws {
        try await withRouter { client in
            for headers: HTTPFields in [[.authorization: "Bearer x"], [.cookie: "a=b"]] {
                try await client.execute(uri: "/v1/products/own", method: .get, headers: headers) { response in
                    #expect(response.headers[.cacheControl] == "private, no-store")
                    #expect(response.headers[.surrogateKey] == nil && response.headers[.cacheTag] == nil)
                }
                var conditional = headers
                conditional[.ifNoneMatch] = "\"1\""
                try await client.execute(uri: "/v1/products/own", method: .get, headers: conditional) { response in
                    #expect(response.status == .notModified)
                }
            }
        }
    }
}
