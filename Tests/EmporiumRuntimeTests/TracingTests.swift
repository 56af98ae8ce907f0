import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import NIOFoundationCompat
import Storage
import HummingbirdTesting
import Testing

/// Spans exported over OTLP to a real receiver (`scripts/services/otlp.sh`: PyPI's
/// opentelemetry-proto decoding what the process sends), and the export's behaviour when the
/// endpoint is down.
@Suite("Tracing")
struct TracingTests {
    static let environment = ProcessInfo.processInfo.environment
    /// The receiver's base URL and the file it writes spans to, one JSON object a line.
    static let receiver = environment["EMPORIUM_TEST_OTLP_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let spansFile = environment["EMPORIUM_TEST_OTLP_SPANS"].flatMap { $0.isEmpty ? nil : $0 }
    static let receiverEnabled = receiver != nil || environment["EMPORIUM_TEST_REQUIRE_OTLP"] == "1"

    /// A span as the receiver wrote it.
    struct ExportedSpan {
        let traceID: String
        let spanID: String
        let parentSpanID: String
        let name: String
        let kind: String
        let service: String
        let attributes: [String: Any]

        init?(_ line: Substring) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let traceID = object["trace_id"] as? String, let spanID = object["span_id"] as? String
            else { return nil }
            self.traceID = traceID
            self.spanID = spanID
            self.parentSpanID = object["parent_span_id"] as? String ?? ""
            self.name = object["name"] as? String ?? ""
            self.kind = object["kind"] as? String ?? ""
            self.service = object["service"] as? String ?? ""
            self.attributes = object["attributes"] as? [String: Any] ?? [:]
        }
    }

    /// The spans received so far that satisfy `include`, waiting (at most 20 s) until `until` holds for them.
    static func spans(where include: (ExportedSpan) -> Bool, until done: ([ExportedSpan]) -> Bool) async throws -> [ExportedSpan] {
        let file = try #require(spansFile, "EMPORIUM_TEST_OTLP_SPANS is not set")
        var found: [ExportedSpan] = []
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").compactMap(ExportedSpan.init).filter(include)
            if done(found) { return found }
            try await Task.sleep(for: .milliseconds(100))
        }
        return found
    }

    static func randomHex(_ bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 1...255)) }.joined()
    }

    @Test(
        "a request's spans reach the OTLP receiver: the server span continues the caller's trace, named by route; the SQL it ran are its children, with operations and tables, never values",
        .enabled(if: receiverEnabled, "needs the OTLP receiver: source scripts/services/otlp.sh && otlp_start \"$(mktemp -d)\""))
    func requestSpansAreExported() async throws {
        let receiver = try #require(Self.receiver, "EMPORIUM_TEST_OTLP_URL is not set")
        let (traceID, parentID) = (Self.randomHex(16), Self.randomHex(8))
        let logs = LogCapture()
        try await TestPlatform.withClient(.sqlite, logger: logs.logger(), extra: ["tracing.otlpEndpoint": receiver]) { client, _ in
            let list = try await client.execute(uri: "/v1/products?limit=1", method: .get)
            let product = try #require(
                ((try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [String: Any])?["items"] as? [[String: Any]])?.first?["id"] as? String)
            let answer = try await client.execute(
                uri: "/v1/products/\(product)", method: .get, headers: [HTTPField.Name("traceparent")!: "00-\(traceID)-\(parentID)-01"])
            #expect(answer.status == .ok)

            let spans = try await Self.spans(where: { $0.traceID == traceID }) { found in
                found.contains { $0.kind == "SERVER" } && found.contains { $0.kind == "CLIENT" }
            }
            let server = try #require(spans.first { $0.kind == "SERVER" }, "the server span was exported: \(spans.map(\.name))")
            #expect(server.parentSpanID == parentID, "a child of the caller's span")
            #expect(server.name == "GET /v1/products/{id}")
            #expect(server.attributes["http.route"] as? String == "/v1/products/{id}")
            #expect(server.attributes["http.response.status_code"] as? Int == 200)
            #expect(server.service == "emporium")
            let queries = spans.filter { $0.kind == "CLIENT" && $0.attributes["db.system.name"] != nil }
            #expect(!queries.isEmpty, "the SQL was traced: \(spans.map(\.name))")
            for query in queries {
                #expect(query.parentSpanID == server.spanID, "\(query.name) is a child of the request's span")
                #expect(query.attributes["db.namespace"] as? String == "catalog")
                #expect(query.attributes["db.collection.name"] is String, "\(query.name) names its table")
                let text = "\(query.name) \(query.attributes)"
                #expect(!text.contains(product), "no statement's values in a span: \(text)")
            }
            // The request's log line carries the trace.
            let line = logs.entries.first { $0["message"] as? String == "request" && $0["trace_id"] as? String == traceID }
            #expect(line != nil, "the request's log line has trace_id \(traceID)")

            // A malformed traceparent starts a trace of its own, without an error or a warning.
            let path = "/v1/products/\(UUID().uuidString.lowercased())"
            let malformed = try await client.execute(uri: path, method: .get, headers: [HTTPField.Name("traceparent")!: "00-\(traceID)-zz-01"])
            #expect(malformed.status == .notFound)
            let fresh = try await Self.spans(where: { $0.kind == "SERVER" && $0.attributes["url.path"] as? String == path }) { !$0.isEmpty }
            let root = try #require(fresh.first, "the request with a malformed traceparent was traced")
            #expect(root.traceID != traceID && root.parentSpanID.isEmpty, "a new trace")
            #expect(!logs.entries.contains { ["warning", "error"].contains($0["level"] as? String) }, "nothing logged as a problem")
        }
    }

    @Test("with the OTLP endpoint down every request is answered; the lost spans are counted and the failure is logged once")
    func endpointDown() async throws {
        let nowhere = try await TestPlatform.unusedPort()
        let logs = LogCapture()
        try await TestPlatform.withClient(.sqlite, logger: logs.logger(), extra: ["tracing.otlpEndpoint": "http://127.0.0.1:\(nowhere)"]) { client, _ in
            for round in 0..<3 {
                for _ in 0..<20 {
                    let answer = try await client.execute(uri: "/v1/products?limit=2", method: .get)
                    #expect(answer.status == .ok)
                }
                if round < 2 { try await Task.sleep(for: .seconds(2.5)) }  // an export attempt a round
            }
            var failures = 0
            var dropped = 0
            for _ in 0..<100 {
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                failures = Self.value(of: "emporium_tracing_export_failures_total", in: metrics)
                dropped = Self.value(of: "emporium_tracing_spans_dropped_total", in: metrics)
                if failures >= 2 && dropped >= 40 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(failures >= 2, "failed exports are counted")
            #expect(dropped >= 40, "the spans of failed exports are counted as dropped")
            let warnings = logs.entries.filter { ($0["message"] as? String)?.hasPrefix("spans cannot be exported") == true }
            #expect(warnings.count == 1, "one warning for the outage, not one an attempt: \(warnings.count)")
            #expect(warnings.first?["otlp_endpoint"] as? String == "http://127.0.0.1:\(nowhere)/v1/traces")
        }
    }

    static func value(of metric: String, in text: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(metric + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    @Test("a traceparent is well formed only as version 00 with lowercase hex ids that are not all zero")
    func traceparentForm() {
        #expect(Traceparent.isWellFormed("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
        let ids = Traceparent.identifiers("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
        #expect(ids?.traceID == "0af7651916cd43dd8448eb211c80319c" && ids?.spanID == "b7ad6b7169203331")
        for malformed in [
            "", "garbage", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            #expect(!Traceparent.isWellFormed(malformed), "\(malformed)")
            #expect(Traceparent.identifiers(malformed) == nil)
        }
    }
}
