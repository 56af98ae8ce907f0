import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import SQLKit
import Security
import Storage
import Testing

/// Hostile text input on every route the platform declares, on either database: U+0000 and other
/// control characters, JSON that only a lax parser accepts, and search text that would be FTS5
/// syntax. Each is a 400 naming what is wrong (never a 5xx), and nothing is written.
enum InputHardeningContract {
    // MARK: The routes, from the OpenAPI document

    /// One operation of the OpenAPI document: method, path template, its query parameters and,
    /// when it takes one, a body with every declared field filled in.
    struct Operation: CustomStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var queryParameters: [String]
        var body: JSONValue?
        var description: String { "\(method) \(path)" }

        /// The path with every `{parameter}` replaced by a fresh UUID.
        var uri: String {
            path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix("{") ? UUID.v7().lowercased : String(segment)
            }.joined(separator: "/")
        }
    }

    static func operations(_ platform: EmporiumPlatform) throws -> [Operation] {
        let document = platform.openAPI.document
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        var operations: [Operation] = []
        for (path, item) in try #require(document["paths"]?.objectValue) {
            for (method, operation) in item.objectValue ?? [:] {
                guard let method = HTTPRequest.Method(method.uppercased()) else { continue }
                guard case .object = operation else { continue }
                var declared: [JSONValue] = []
                if case .array(let list)? = operation["parameters"] { declared = list }
                let parameters = declared
                    .filter { $0["in"] == .string("query") }
                    .compactMap { parameter -> String? in
                        guard case .string(let name) = parameter["name"] else { return nil }
                        return name.replacingOccurrences(of: "{name}", with: "colour")
                    }
                let schema = operation["requestBody"]?["content"]?["application/json"]?["schema"]
                operations.append(Operation(
                    method: method, path: path, queryParameters: parameters.sorted(),
                    body: try schema.map { try sample(of: $0, schemas: schemas) }
                ))
            }
        }
        return operations.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }
    }

    /// A value of `schema` with every declared property present (the checks under test come before
    /// any business rule, so plausible values are enough).
    static func sample(of schema: JSONValue, schemas: [String: JSONValue], depth: Int = 0) throws -> JSONValue {
        try #require(depth < 10, "schemas nest at most 10 deep")
        if case .string(let reference) = schema["$ref"] {
            let name = String(reference.split(separator: "/").last ?? "")
            return try sample(of: try #require(schemas[name], "schema \(name)"), schemas: schemas, depth: depth + 1)
        }
        if case .array(let choices) = schema["oneOf"] ?? schema["anyOf"] ?? .null, let first = choices.first {
            return try sample(of: first, schemas: schemas, depth: depth + 1)
        }
        var type = schema["type"]
        if case .array(let types) = type { type = types.first { $0 != .string("null") } }
        switch type {
        case .string("object"):
            var object: [String: JSONValue] = [:]
            for (name, property) in schema["properties"]?.objectValue ?? [:] {
                object[name] = try sample(of: property, schemas: schemas, depth: depth + 1)
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                object["colour"] = try sample(of: values, schemas: schemas, depth: depth + 1)
            }
            return .object(object)
        case .string("array"):
            return .array([try sample(of: schema["items"] ?? .object([:]), schemas: schemas, depth: depth + 1)])
        case .string("integer"), .string("number"):
            return .number(1)
        case .string("boolean"):
            return .bool(true)
        default:
            if case .array(let values) = schema["enum"], let first = values.first { return first }
            switch schema["format"] {
            case .string("uuid"): return .string(UUID.v7().lowercased)
            case .string("email"): return .string("someone@example.com")
            case .string("uri"): return .string("https://img.example.com/a.jpg")
            default: return .string("Plain text value")
            }
        }
    }

    /// Every string field of `value` by JSON path (`variants[0].sku`), map values included.
    static func stringPaths(_ value: JSONValue, _ path: String = "") -> [String] {
        switch value {
        case .string: return [path]
        case .array(let elements): return elements.indices.flatMap { stringPaths(elements[$0], "\(path)[\($0)]") }
        case .object(let members):
            return members.keys.sorted().flatMap { stringPaths(members[$0]!, path.isEmpty ? $0 : "\(path).\($0)") }
        default: return []
        }
    }

    /// `value` with the string at `path` replaced by `replacement`.
    static func replacing(_ path: String, in value: JSONValue, with replacement: String, at current: String = "") -> JSONValue {
        switch value {
        case .string: return current == path ? .string(replacement) : value
        case .array(let elements):
            return .array(elements.indices.map { replacing(path, in: elements[$0], with: replacement, at: "\(current)[\($0)]") })
        case .object(let members):
            return .object(members.reduce(into: [:]) { result, member in
                result[member.key] = replacing(path, in: member.value, with: replacement, at: current.isEmpty ? member.key : "\(current).\(member.key)")
            })
        default: return value
        }
    }

    // MARK: Nothing written

    /// The number of rows of every table of every service's database.
    static func rowCounts(_ platform: EmporiumPlatform) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (service, database) in platform.databases {
            let tables = database.kind == .sqlite
                ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                : "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
            try await database.withConnection { sql in
                for row in try await sql.raw("\(unsafeRaw: tables)").all() {
                    let table = try row.decode(column: "name", as: String.self)
                    let count = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self)
                    counts["\(service).\(table)"] = count ?? 0
                }
            }
        }
        return counts
    }

    /// The row counts once start-up's own writes (seeding, its events) have settled: every
    /// outbox event sent (in process, that is once its consumers committed its effects) and the
    /// counts unchanged for 200 ms.
    static func settledRowCounts(_ platform: EmporiumPlatform) async throws -> [String: Int] {
        var previous = try await rowCounts(platform)
        for _ in 0..<300 {
            try await Task.sleep(for: .milliseconds(200))
            // Checked before counting: counts read after every event was sent include its effects.
            let allSent = try await unsentEvents(platform) == 0
            let current = try await rowCounts(platform)
            if allSent, current == previous { return current }
            previous = current
        }
        Issue.record("the databases kept changing after start-up")
        return previous
    }

    /// Events still waiting in the outboxes of the platform's databases.
    static func unsentEvents(_ platform: EmporiumPlatform) async throws -> Int {
        var unsent = 0
        for database in platform.databases.values {
            unsent += try await database.withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM emporium_outbox WHERE sent_at IS NULL").first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
        return unsent
    }

    /// Expects the row counts to be `before`, naming the tables that changed.
    static func expectUnchanged(_ platform: EmporiumPlatform, since before: [String: Int], _ comment: String) async throws {
        let after = try await rowCounts(platform)
        let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
        #expect(changed.isEmpty, "\(comment): \(changed.map { "\($0) \(before[$0] ?? 0) → \(after[$0] ?? 0)" })")
    }

    static func send(_ client: any TestClientProtocol, _ operation: Operation, uri: String, body: String?, authorization: String) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: authorization]
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: operation.method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }

    static func text(_ value: JSONValue) throws -> String {
        String(decoding: try value.serializedBytes(), as: UTF8.self)
    }

    // MARK: Tests

    /// U+0000 in each query parameter and each string body field (and a control character in
    /// single-line ones) of every operation is a 400 naming it, and nothing is written.
    static func refusesControlCharactersEverywhere(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let admin = try await TestPlatform.authorization(platform, roles: [.admin])
            let operations = try operations(platform)
            #expect(operations.contains { $0.queryParameters.contains("q") }, "the search declares q")
            #expect(operations.filter { $0.body != nil }.count >= 8, "every JSON body route is walked")
            let before = try await settledRowCounts(platform)
            var checked = 0
            for operation in operations {
                for parameter in operation.queryParameters {
                    for value in ["lamp\u{0}", "lamp\u{1B}[0m"] {
                        let encoded = value.addingPercentEncoding(withAllowedCharacters: SearchFuzz.unreserved)!
                        let response = try await send(client, operation, uri: "\(operation.uri)?\(parameter)=\(encoded)", body: nil, authorization: admin)
                        #expect(response.status == .badRequest, "\(operation) ?\(parameter)=\(value.debugDescription): \(String(buffer: response.body))")
                        #expect(response.headers[.contentType] == "application/problem+json")
                        let errors = response.json["errors"] as? [[String: Any]] ?? []
                        #expect(errors.contains { $0["parameter"] as? String == parameter }, "\(operation): \(String(buffer: response.body))")
                        checked += 1
                    }
                }
                guard let body = operation.body else { continue }
                for path in stringPaths(body) {
                    // U+0000 everywhere; ESC even where line breaks are allowed.
                    for bad in ["a\u{0}b", "a\u{1B}b"] {
                        let response = try await send(
                            client, operation, uri: operation.uri, body: try text(replacing(path, in: body, with: bad)), authorization: admin
                        )
                        #expect(response.status == .badRequest, "\(operation) \(path)=\(bad.debugDescription): \(String(buffer: response.body))")
                        let errors = response.json["errors"] as? [[String: Any]] ?? []
                        #expect(errors.contains { $0["field"] as? String == path }, "\(operation) \(path): \(String(buffer: response.body))")
                        checked += 1
                    }
                }
            }
            #expect(checked >= 40)
            try await expectUnchanged(platform, since: before, "a refused request writes nothing")
        }
    }

    /// A description keeps its line breaks; a name may not have one.
    static func multiLineOnlyWhereDeclared(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            let category = try await CatalogAPIContract.firstCategory(client)
            let product = #"{"name": "Lamp", "description": "One line.\nAnother.\tTabbed.\r\n", "categoryId": "\#(category)", "variants": [{"sku": "ML-1", "price": {"amount": 100, "currency": "EUR"}}]}"#
            try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: product)) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
            let named = #"{"name": "Lamp\nTwo", "categoryId": "\#(category)", "variants": [{"sku": "ML-2", "price": {"amount": 100, "currency": "EUR"}}]}"#
            try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: named)) { response in
                #expect(response.status == .badRequest)
                #expect((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "name")
            }
        }
    }

    /// An unknown member next to JSON that a lax parser reads differently (a number out of range,
    /// a lone surrogate, a raw control character) is refused on every JSON body route, and
    /// nothing is written.
    static func refusesLaxJSONOnEveryBodyRoute(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let admin = try await TestPlatform.authorization(platform, roles: [.admin])
            let operations = try operations(platform).filter { $0.body != nil }
            let before = try await settledRowCounts(platform)
            let tricks = ["1e999", #""\ud800""#, "\"a\u{1}b\"", "-1e400", #""\udc00x""#]
            for operation in operations {
                guard case .object(let members)? = operation.body else { continue }
                let valid = try text(.object(members))
                for trick in tricks {
                    // `{…valid members…, "roles": ["admin"], "zzTrick": <trick>}`
                    let body = String(valid.dropLast()) + #", "roles": ["admin"], "zzTrick": \#(trick)}"#
                    let response = try await send(client, operation, uri: operation.uri, body: body, authorization: admin)
                    #expect(response.status == .badRequest, "\(operation) with \(trick): \(String(buffer: response.body))")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect((response.json["detail"] as? String)?.isEmpty == false)
                }
            }
            try await expectUnchanged(platform, since: before, "a refused body writes nothing")
        }
    }

    /// Random Unicode search text (quotes, FTS5 operators, control characters, combining marks,
    /// prepended letters, emoji) is a 200 or a 400 naming `q`: never a 5xx, never a database error.
    static func searchTextNeverBreaksTheQuery(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            for uri in ["/v1/products?q=%E0%B5%8E%22", "/v1/products?q=%E0%B5%8E%22&facets=true", "/v1/products?q=lamp%E0%B5%8E%22*%20NEAR(a%20b)"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                }
            }
            var random = SeededRandom(seed: 0x15_2025)
            for index in 0..<2_000 {
                let text = SearchFuzz.text(&random)
                let encoded = text.addingPercentEncoding(withAllowedCharacters: SearchFuzz.unreserved)!
                var uri = "/v1/products?q=\(encoded)"
                if index % 3 == 0 { uri += "&facets=true" }
                if index % 5 == 0 { uri += "&sort=price_asc" }
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok || response.status == .badRequest, "q=\(text.debugDescription): \(response.status) \(String(buffer: response.body))")
                    if response.status == .badRequest {
                        let errors = response.json["errors"] as? [[String: Any]] ?? []
                        #expect(errors.map { $0["parameter"] as? String } == ["q"], "q=\(text.debugDescription): \(String(buffer: response.body))")
                    }
                }
            }
        }
    }
}

/// Search text made of the pieces that break naive FTS5 queries.
enum SearchFuzz {
    /// The characters a URI query may carry unencoded (ASCII only).
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static let pieces: [String] = [
        "\"", "\"\"", "'", "*", "-", "^", "+", ":", "(", ")", "{", "}", "NEAR", "NEAR(", "AND", "OR", "NOT", "and", "or",
        " ", " ", " ", "\t", "\u{1}", "\u{7}", "\u{1F}", "\u{7F}", "\u{85}",
        "\u{0D4E}", "\u{0D4E}\"", "\u{0D4D}", "\u{0600}", "\u{110BD}",
        "\u{301}", "\u{308}", "e\u{301}", "\u{20DD}", "\u{200D}", "\u{FE0F}", "\u{200B}",
        "😀", "👩‍👩‍👧", "🇫🇷", "👍🏽", "lamp", "Lamp", "blanket", "ß", "İ", "ǅ", "Ω", "число", "ランプ", "灯", "١٢٣", "½", "Ⅻ",
        "a", "b", "z", "0", "9", "\u{FFFD}", "\u{E000}", "\u{10FFFF}",
    ]

    static func text(_ random: inout SeededRandom) -> String {
        var text = ""
        for _ in 0..<Int.random(in: 1...12, using: &random) {
            if Int.random(in: 0..<4, using: &random) == 0 {
                // Any scalar but NUL and surrogates.
                let value = UInt32.random(in: 1...0x10FFFF, using: &random)
                if let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
            } else {
                text += pieces[Int.random(in: 0..<pieces.count, using: &random)]
            }
        }
        return text
    }
}

@Suite("Hostile input on SQLite")
struct InputHardeningSQLiteTests {
    @Test func refusesControlCharactersEverywhere() async throws { try await InputHardeningContract.refusesControlCharactersEverywhere(.sqlite) }
    @Test func multiLineOnlyWhereDeclared() async throws { try await InputHardeningContract.multiLineOnlyWhereDeclared(.sqlite) }
    @Test func refusesLaxJSONOnEveryBodyRoute() async throws { try await InputHardeningContract.refusesLaxJSONOnEveryBodyRoute(.sqlite) }
    @Test func searchTextNeverBreaksTheQuery() async throws { try await InputHardeningContract.searchTextNeverBreaksTheQuery(.sqlite) }
}

@Suite("Hostile input on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct InputHardeningPostgresTests {
    @Test func refusesControlCharactersEverywhere() async throws { try await InputHardeningContract.refusesControlCharactersEverywhere(.postgres) }
    @Test func multiLineOnlyWhereDeclared() async throws { try await InputHardeningContract.multiLineOnlyWhereDeclared(.postgres) }
    @Test func refusesLaxJSONOnEveryBodyRoute() async throws { try await InputHardeningContract.refusesLaxJSONOnEveryBodyRoute(.postgres) }
    @Test func searchTextNeverBreaksTheQuery() async throws { try await InputHardeningContract.searchTextNeverBreaksTheQuery(.postgres) }
}
