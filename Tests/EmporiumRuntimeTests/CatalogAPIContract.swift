import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import SQLKit
import Storage
import Testing

/// The catalog API as a user sees it, through the whole middleware stack, on either database.
enum CatalogAPIContract {
    static func validProduct(sku: String = "TEST-SKU-1", categoryId: String, status: String = "active") -> String {
        """
        {"name": "Trail Runner", "description": "A light shoe.", "categoryId": "\(categoryId)", "status": "\(status)",
         "imageUrls": ["https://img.example.com/a.jpg"],
         "variants": [{"sku": "\(sku)", "attributes": {"size": "42"}, "price": {"amount": 12999, "currency": "EUR"}}]}
        """
    }

    static func firstCategory(_ client: any TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/v1/categories", method: .get) { response in
            let items = response.json["items"] as? [[String: Any]] ?? []
            #expect(items.count >= 8, "the demo catalog has at least 8 categories")
            return try #require(items.first?["id"] as? String)
        }
    }

    static func productCount(_ platform: EmporiumPlatform) async throws -> Int {
        try await CatalogStoreProbe.count(platform)
    }

    /// The demo catalog pages through every product exactly once.
    static func pagesThroughDemoCatalog(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/products?limit=100" + (cursor.map { "&cursor=\($0)" } ?? "")
                cursor = try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    let items = response.json["items"] as? [[String: Any]] ?? []
                    seen += items.compactMap { $0["id"] as? String }
                    for item in items {
                        let variants = item["variants"] as? [[String: Any]] ?? []
                        #expect(!variants.isEmpty)
                        #expect((variants.first?["price"] as? [String: Any])?["currency"] as? String == "USD")
                    }
                    return response.json["nextCursor"] as? String
                }
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen.count >= 200)
            #expect(Set(seen).count == seen.count, "no product appears twice")
            #expect(seen == seen.sorted(), "ordered by id")
            #expect(pages == (seen.count + 99) / 100)

            try await client.execute(uri: "/v1/products", method: .get) { response in
                #expect((response.json["items"] as? [Any])?.count == 20, "default limit is 20")
                #expect(response.json["nextCursor"] is String)
            }
            let id = try #require(seen.first)
            try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["id"] as? String == id)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }

    /// A valid product is created, then readable; its SKU cannot be reused.
    static func createsProduct(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let category = try await firstCategory(client)
            let before = try await productCount(platform)
            let id = try await client.execute(
                uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(json: validProduct(categoryId: category))
            ) { response in
                #expect(response.status == .created)
                let id = try #require(response.json["id"] as? String)
                #expect(response.headers[.location] == "/v1/products/\(id)")
                #expect(response.json["status"] as? String == "active")
                return (id, response.json["createdAt"] as? String)
            }
            try await client.execute(uri: "/v1/products/\(id.0)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["createdAt"] as? String == id.1, "the created answer and a read agree")
                #expect(response.json["name"] as? String == "Trail Runner")
                let variant = (response.json["variants"] as? [[String: Any]])?.first
                #expect((variant?["price"] as? [String: Any])?["amount"] as? Int == 12999)
                #expect((variant?["attributes"] as? [String: String]) == ["size": "42"])
            }
            // The same SKU again is a conflict, and nothing more is written.
            try await client.execute(
                uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(json: validProduct(categoryId: category))
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String) == "variants[0].sku")
            }
            // A draft is stored but hidden from public reads.
            let draft = try await client.execute(
                uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(json: validProduct(sku: "DRAFT-1", categoryId: category, status: "draft"))
            ) { response in
                #expect(response.status == .created)
                return try #require(response.json["id"] as? String)
            }
            try await client.execute(uri: "/v1/products/\(draft)", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/products/\(draft)", method: .get, headers: TestPlatform.writerHeaders()) { response in
                #expect(response.status == .ok, "a catalog manager sees drafts")
                #expect(response.json["status"] as? String == "draft")
            }
            #expect(try await productCount(platform) == before + 2)
        }
    }

    /// PATCH replaces variants, category and images (SKUs must stay free of other products);
    /// categories are created, renamed and deleted when empty.
    static func editsVariantsAndCategories(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let category = try await firstCategory(client)
            func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> TestResponse {
                try await client.execute(uri: uri, method: method, headers: TestPlatform.writerHeaders(), body: body.map { ByteBuffer(string: $0) }) { $0 }
            }
            func fields(_ response: TestResponse) -> [String] {
                (response.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            }
            let first = try #require(try await send(.post, "/v1/products", validProduct(sku: "EDIT-A-1", categoryId: category)).json["id"] as? String)
            _ = try await send(.post, "/v1/products", validProduct(sku: "EDIT-B-1", categoryId: category))

            let replaced = try await send(.patch, "/v1/products/\(first)", #"""
                {"variants": [{"sku": "EDIT-A-1", "attributes": {"size": "43"}, "price": {"amount": 500, "currency": "EUR"}},
                              {"sku": "EDIT-A-2", "attributes": {"size": "44"}, "price": {"amount": 700, "currency": "EUR"}}],
                 "imageUrls": ["https://img.example.com/b.jpg"]}
                """#)
            #expect(replaced.status == .ok)
            #expect((replaced.json["variants"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == ["EDIT-A-1", "EDIT-A-2"])
            #expect(replaced.json["imageUrls"] as? [String] == ["https://img.example.com/b.jpg"])
            #expect(replaced.json["version"] as? Int == 2)

            let taken = try await send(.patch, "/v1/products/\(first)", #"{"variants": [{"sku": "EDIT-B-1", "price": {"amount": 1, "currency": "EUR"}}]}"#)
            #expect(taken.status == .conflict)
            #expect(fields(taken) == ["variants[0].sku"])
            let unknownCategory = try await send(.patch, "/v1/products/\(first)", #"{"categoryId": "0190b2f0-0000-7000-8000-000000000000"}"#)
            #expect(unknownCategory.status == .unprocessableContent)
            #expect(fields(unknownCategory) == ["categoryId"])
            let unknownField = try await send(.patch, "/v1/products/\(first)", #"{"price": 5}"#)
            #expect(unknownField.status == .badRequest)
            #expect(fields(unknownField) == ["price"])
            let negative = try await send(.patch, "/v1/products/\(first)", #"{"variants": [{"sku": "EDIT-A-1", "price": {"amount": -1, "currency": "EUR"}}]}"#)
            #expect(fields(negative) == ["variants[0].price.amount"])
            #expect(try await client.execute(uri: "/v1/products/\(first)", method: .get) { $0.json["version"] as? Int } == 2, "refused changes wrote nothing")

            // Categories.
            let created = try await send(.post, "/v1/categories", #"{"slug": "edit-arrivals", "name": "  New arrivals ", "parentId": "\#(category)"}"#)
            #expect(created.status == .created)
            #expect(created.json["name"] as? String == "New arrivals")
            let child = try #require(created.json["id"] as? String)
            #expect(try await send(.post, "/v1/categories", #"{"slug": "edit-arrivals", "name": "Again"}"#).status == .conflict)
            #expect(fields(try await send(.post, "/v1/categories", #"{"slug": "New Arrivals", "name": "x"}"#)) == ["slug"])
            #expect(fields(try await send(.post, "/v1/categories", #"{"slug": "orphans", "name": "x", "parentId": "0190b2f0-0000-7000-8000-000000000000"}"#)) == ["parentId"])
            // No member is nullable (the document declares none): null is a 400, not "absent".
            let nullParent = try await send(.post, "/v1/categories", #"{"slug": "orphans", "name": "x", "parentId": null}"#)
            #expect(nullParent.status == .badRequest)
            #expect(fields(nullParent) == ["parentId"])
            // Nested objects have known members too.
            let extraPriceMember = try await send(.patch, "/v1/products/\(first)", #"{"variants": [{"sku": "EDIT-A-1", "price": {"amount": 1, "currency": "EUR", "cents": 1}}]}"#)
            #expect(extraPriceMember.status == .badRequest)
            #expect(fields(extraPriceMember) == ["variants[0].price.cents"])
            #expect(try await send(.patch, "/v1/categories/\(child)", #"{"name": "Just in"}"#).json["name"] as? String == "Just in")

            // Moved into the new subcategory: found under it and under its parent.
            #expect(try await send(.patch, "/v1/products/\(first)", #"{"categoryId": "\#(child)"}"#).status == .ok)
            for _ in 0..<2_400 {
                let found = try await client.execute(uri: "/v1/products?category=\(child)", method: .get) { ($0.json["items"] as? [[String: Any]])?.count }
                if found == 1 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(try await client.execute(uri: "/v1/products?category=\(child)", method: .get) { ($0.json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } } == [first])
            #expect(try await allIDs(client, "/v1/products?category=\(category)&limit=100").contains(first), "a parent category includes its children's products")

            #expect(try await send(.delete, "/v1/categories/\(child)").status == .conflict, "a category in use is not deleted")
            let empty = try #require(try await send(.post, "/v1/categories", #"{"slug": "edit-empty", "name": "Empty"}"#).json["id"] as? String)
            #expect(try await send(.delete, "/v1/categories/\(empty)").status == .noContent)
            #expect(try await send(.delete, "/v1/categories/\(empty)").status == .notFound)
            _ = platform
        }
    }

    static func allIDs(_ client: any TestClientProtocol, _ uri: String) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            let page = uri + (cursor.map { "&cursor=\($0)" } ?? "")
            cursor = try await client.execute(uri: page, method: .get) { response in
                ids += (response.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                return response.json["nextCursor"] as? String
            }
        } while cursor != nil
        return ids
    }

    /// Reads carry the version as `ETag`; writes with a stale `If-Match` are 412 and change nothing.
    static func enforcesIfMatch(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            let category = try await firstCategory(client)
            let id = try await client.execute(
                uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(json: validProduct(sku: "ETAG-1", categoryId: category))
            ) { response in
                #expect(response.headers[.eTag] == "\"1\"")
                return try #require(response.json["id"] as? String)
            }
            #expect(try await client.execute(uri: "/v1/products/\(id)", method: .get) { $0.headers[.eTag] } == "\"1\"")
            func patch(_ name: String, ifMatch: String?) async throws -> TestResponse {
                var headers = TestPlatform.writerHeaders()
                if let ifMatch { headers[.ifMatch] = ifMatch }
                return try await client.execute(uri: "/v1/products/\(id)", method: .patch, headers: headers, body: ByteBuffer(string: #"{"name": "\#(name)"}"#)) { $0 }
            }
            let first = try await patch("Renamed", ifMatch: "\"1\"")
            #expect(first.status == .ok)
            #expect(first.headers[.eTag] == "\"2\"")
            #expect(first.json["version"] as? Int == 2)
            let stale = try await patch("Lost update", ifMatch: "\"1\"")
            #expect(stale.status == .preconditionFailed)
            #expect(stale.headers[.contentType] == "application/problem+json")
            #expect(try await patch("Weak", ifMatch: "W/\"2\"").status == .preconditionFailed, "If-Match compares strongly")
            let bad = try await patch("Bad", ifMatch: "2")
            #expect(bad.status == .badRequest)
            #expect(((bad.json["errors"] as? [[String: Any]])?.first?["parameter"] as? String) == "If-Match")
            var deleteHeaders = TestPlatform.writerHeaders()
            deleteHeaders[.ifMatch] = "\"1\""
            #expect(try await client.execute(uri: "/v1/products/\(id)", method: .delete, headers: deleteHeaders) { $0.status } == .preconditionFailed)
            try await client.execute(uri: "/v1/products/\(id)", method: .get, headers: [.ifNoneMatch: "\"2\""]) { response in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: "/v1/products/\(id)", method: .get) { response in
                #expect(response.json["name"] as? String == "Renamed", "the stale writes changed nothing")
                #expect(response.headers[.eTag] == "\"2\"")
            }
            #expect(try await patch("Any", ifMatch: "*").status == .ok)
        }
    }

    /// Each bad input gets its status and a problem naming the field; the database is unchanged.
    static func rejectsBadInput(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let category = try await firstCategory(client)
            let before = try await productCount(platform)
            let valid = validProduct(categoryId: category)
            let cases: [(body: String, status: HTTPResponse.Status, field: String?)] = [
                (#"{"name": "x", "#, .badRequest, nil),
                ("[1, 2]", .badRequest, "body"),
                (valid.replacingOccurrences(of: #""name": "Trail Runner", "#, with: ""), .badRequest, "name"),
                (valid.replacingOccurrences(of: "12999", with: #""12999""#), .badRequest, "variants[0].price.amount"),
                (valid.replacingOccurrences(of: "12999", with: "-5"), .badRequest, "variants[0].price.amount"),
                (valid.replacingOccurrences(of: "EUR", with: "XYZ"), .badRequest, "variants[0].price.currency"),
                (valid.replacingOccurrences(of: category, with: "0190b2f0-0000-7000-8000-000000000000"), .unprocessableContent, "categoryId"),
                (valid.replacingOccurrences(of: category, with: "not-a-uuid"), .badRequest, "categoryId"),
                (valid.replacingOccurrences(of: #""status": "active""#, with: #""status": "gone""#), .badRequest, "status"),
                (valid.replacingOccurrences(of: "TEST-SKU-1", with: "bad sku"), .badRequest, "variants[0].sku"),
                (valid.replacingOccurrences(of: "Trail Runner", with: "   "), .badRequest, "name"),
            ]
            for (body, status, field) in cases {
                try await client.execute(
                    uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(json: body)
                ) { response in
                    #expect(response.status == status, "\(body)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let problem = response.json
                    #expect(problem["status"] as? Int == Int(status.code))
                    #expect(problem["title"] is String)
                    #expect(problem["instance"] as? String == "/v1/products")
                    if let field {
                        let fields = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                        #expect(fields.contains(field), "expected \(field) in \(fields) for \(body)")
                    }
                }
            }
            // Over the 1 MiB limit.
            let huge = #"{"name": ""# + String(repeating: "x", count: EmporiumRequestContext.maxBodySize + 10) + #""}"#
            try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: huge)) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            // Not JSON at all.
            try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(contentType: "text/plain"), body: ByteBuffer(string: "hi")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            #expect(try await productCount(platform) == before, "no bad request wrote anything")
        }
    }

    /// Query, path, route and method errors.
    static func rejectsBadRequests(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            for (uri, parameter) in [
                ("/v1/products?limit=0", "limit"), ("/v1/products?limit=101", "limit"), ("/v1/products?limit=ten", "limit"),
                ("/v1/products?cursor=garbage!", "cursor"), ("/v1/products?cursor=dGVzdA", "cursor"), ("/v1/products/not-a-uuid", "id"),
            ] {
                try await client.execute(uri: uri, method: .get) { response in
                    // A well-formed cursor that this server did not issue is a 422.
                    #expect(response.status == (uri.hasSuffix("dGVzdA") ? .unprocessableContent : .badRequest), "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let parameters = (response.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["parameter"] as? String }
                    #expect(parameters == [parameter], "\(uri)")
                }
            }
            try await client.execute(uri: "/v1/products/0190b2f0-0000-7000-8000-000000000000", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.json["status"] as? Int == 404)
            }
            try await client.execute(uri: "/v1/products", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}

/// Reads the catalog's product count directly from its database (not through the API, which hides drafts).
enum CatalogStoreProbe {
    static func count(_ platform: EmporiumPlatform) async throws -> Int {
        let database = try #require(platform.databases["catalog"])
        return try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM products").first()!.decode(column: "n", as: Int.self)
        }
    }
}

@Suite("Catalog API on SQLite")
struct CatalogAPISQLiteTests {
    @Test func pagesThroughDemoCatalog() async throws { try await CatalogAPIContract.pagesThroughDemoCatalog(.sqlite) }
    @Test func createsProduct() async throws { try await CatalogAPIContract.createsProduct(.sqlite) }
    @Test func rejectsBadInput() async throws { try await CatalogAPIContract.rejectsBadInput(.sqlite) }
    @Test func rejectsBadRequests() async throws { try await CatalogAPIContract.rejectsBadRequests(.sqlite) }
    @Test func enforcesIfMatch() async throws { try await CatalogAPIContract.enforcesIfMatch(.sqlite) }
    @Test func editsVariantsAndCategories() async throws { try await CatalogAPIContract.editsVariantsAndCategories(.sqlite) }
}

@Suite("Catalog API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct CatalogAPIPostgresTests {
    @Test func pagesThroughDemoCatalog() async throws { try await CatalogAPIContract.pagesThroughDemoCatalog(.postgres) }
    @Test func createsProduct() async throws { try await CatalogAPIContract.createsProduct(.postgres) }
    @Test func rejectsBadInput() async throws { try await CatalogAPIContract.rejectsBadInput(.postgres) }
    @Test func rejectsBadRequests() async throws { try await CatalogAPIContract.rejectsBadRequests(.postgres) }
    @Test func enforcesIfMatch() async throws { try await CatalogAPIContract.enforcesIfMatch(.postgres) }
    @Test func editsVariantsAndCategories() async throws { try await CatalogAPIContract.editsVariantsAndCategories(.postgres) }
}
