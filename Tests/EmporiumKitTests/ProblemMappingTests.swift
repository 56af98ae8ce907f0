import EmporiumCore
import EmporiumKit
import Hummingbird
import Foundation
import Testing

@Suite struct ProblemMappingTests {
    struct Body: Decodable {
        struct Price: Decodable { var amount: Int64 }
        struct Line: Decodable { var price: Price }
        var name: String
        var lines: [Line]
    }

    func problem(_ json: String) -> ProblemDetails? {
        do {
            _ = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return ProblemDetails(decodingError: error)
        } catch {
            return nil
        }
    }

    @Test func missingFieldIsNamed() {
        let problem = problem(#"{"lines": []}"#)
        #expect(problem?.status == 400)
        #expect(problem?.errors?.first?.field == "name")
        #expect(problem?.errors?.first?.detail == "is required")
    }

    @Test func wrongTypeNamesTheNestedPath() {
        let problem = problem(#"{"name": "x", "lines": [{"price": {"amount": 1}}, {"price": {"amount": "9"}}]}"#)
        #expect(problem?.errors?.first?.field == "lines[1].price.amount")
        #expect(problem?.errors?.first?.detail == "must be an integer")
    }

    @Test func nullIsNamed() {
        #expect(problem(#"{"name": null, "lines": []}"#)?.errors?.first?.field == "name")
    }

    @Test func malformedJSONIsABadBody() {
        let problem = problem(#"{"name": "#)
        #expect(problem?.status == 400)
        #expect(problem?.type.hasSuffix("malformed-body") == true)
        #expect(problem?.errors == nil)
    }

    @Test func problemResponseIsProblemJSON() throws {
        let response = ProblemDetails.invalidParameter("limit", "must be an integer from 1 to 100").response()
        #expect(response.status == .badRequest)
        #expect(response.headers[.contentType] == "application/problem+json")
    }
}

@Suite struct PaginationTests {
    @Test func cursorRoundTrips() {
        let key = "0190b2f0-0000-7000-8000-000000000000"
        #expect(Cursor.decode(Cursor.encode(key)) == key)
        #expect(!Cursor.encode(key).contains("="))
    }

    @Test(arguments: ["", "!!!", "dGVzdA", String(repeating: "A", count: 600)])
    func foreignCursorsAreRefused(cursor: String) {
        #expect(Cursor.decode(cursor) == nil)
    }

    @Test func pageRequestDefaultsAndLimits() throws {
        #expect(try PageRequest(query: [:]) == PageRequest(limit: 20, after: nil))
        #expect(try PageRequest(query: ["limit": "100"]).limit == 100)
        for bad in ["0", "101", "-1", "1.5", "x"] {
            #expect(throws: ProblemDetails.self) { try PageRequest(query: ["limit": bad]) }
        }
    }

    @Test func everyBadParameterIsNamed() {
        #expect {
            try PageRequest(query: ["limit": "0", "cursor": "nope"])
        } throws: { error in
            (error as? ProblemDetails)?.errors?.compactMap(\.parameter) == ["limit", "cursor"]
        }
    }
}

@Suite struct RouteTableTests {
    @Test func matchesTemplates() {
        let table = RouteTable()
        table.add(method: "GET", path: "/v1/products/{id}")
        table.add(method: "PATCH", path: "/v1/products/{id}")
        table.add(method: "GET", path: "/v1/products")
        #expect(table.allowedMethods(forPath: "/v1/products/123") == ["GET", "PATCH"])
        #expect(table.allowedMethods(forPath: "/v1/products") == ["GET"])
        #expect(table.allowedMethods(forPath: "/v1/products/1/x") == [])
        #expect(table.allowedMethods(forPath: "/v2/products") == [])
    }
}

@Suite struct UUIDv7Tests {
    @Test func versionVariantAndOrder() {
        let early = UUID.v7(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = UUID.v7(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early.lowercased < late.lowercased)
        #expect(Array(early.lowercased)[14] == "7")
        #expect("89ab".contains(Array(early.lowercased)[19]))
    }

    @Test func seededGenerationIsDeterministic() {
        struct Fixed: RandomNumberGenerator { var state: UInt64 = 1; mutating func next() -> UInt64 { state &*= 6364136223846793005; state &+= 1; return state } }
        var a = Fixed(), b = Fixed()
        #expect(UUID.v7(milliseconds: 42, using: &a) == UUID.v7(milliseconds: 42, using: &b))
    }
}

@Suite("UUID text without sscanf")
struct UUIDTextTests {
    @Test("UUID(text:) reads the 36-character form as UUID(uuidString:) does, and refuses what it refuses; lowercased writes it as Foundation's uuidString lowercased")
    func agreesWithFoundation() {
        for _ in 0..<2_000 {
            let uuid = UUID()
            #expect(UUID(text: uuid.uuidString) == uuid)
            #expect(UUID(text: uuid.uuidString.lowercased()) == uuid)
            #expect(uuid.lowercased == uuid.uuidString.lowercased())
        }
        let refused = [
            "", "0190b2f0-0000-7000-8000-00000000000", "0190b2f0-0000-7000-8000-0000000000000", "0190b2f000000-7000-8000-000000000000",
            "0190b2f0-0000-7000-8000-00000000000g", "0190b2f0_0000-7000-8000-000000000000",
            "0190b2f0-0000-7000-8000-00000000000\u{e9}",
        ]
        for text in refused {
            #expect(UUID(text: text) == nil, "\(text)")
            #expect(UUID(uuidString: text) == nil, "Foundation refuses \(text) too")
        }
        // Foundation's sscanf also reads a braced form and skips leading spaces; ids in URLs are
        // the RFC 9562 form only.
        #expect(UUID(text: "{0190b2f0-0000-7000-8000-000000000000}") == nil)
        #expect(UUID(text: " 0190b2f0-0000-7000-8000-00000000000") == nil)
    }
}

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLine() throws {
        let capture = LinesBox()
        var logger = Logging.Logger(label: "unit") { LineLogHandler(label: $0, format: .json, sink: LogSink { capture.append($0) }) }
        logger[metadataKey: "request_id"] = "r1"
        logger.info("hello \"world\"", metadata: ["status": "200"])
        logger.debug("dropped below info")
        let lines = capture.lines
        #expect(lines.count == 1)
        let data = try #require(lines.first)
        #expect(data.last == 0x0A)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["message"] as? String == "hello \"world\"")
        #expect(object["level"] as? String == "info")
        #expect(object["request_id"] as? String == "r1")
        #expect(object["status"] as? String == "200")
        #expect(object["time"] is String)
    }
}

import Logging
import Synchronization

final class LinesBox: Sendable {
    private let storage = Mutex<[Data]>([])
    func append(_ data: Data) { storage.withLock { $0.append(data) } }
    var lines: [Data] { storage.withLock { $0 } }
}
