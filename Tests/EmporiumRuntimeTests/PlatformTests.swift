import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import NIOFoundationCompat
import Hummingbird
import HummingbirdTesting
import Storage
import Testing

/// Cross-cutting behaviour every process has: request ids, logs, metrics, traces, health, OpenAPI.
@Suite("Platform middleware and routes")
struct PlatformTests {
    @Test func requestIdIsKeptOrGenerated() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ throws in
            try await client.execute(uri: "/health/live", method: .get, headers: [.requestID: "abc-123"]) { response in
                #expect(response.headers[.requestID] == "abc-123")
            }
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.headers[.requestID]?.count == 36)
            }
            // An unacceptable id (too long) is replaced, and error bodies carry the id.
            let long = String(repeating: "a", count: 200)
            try await client.execute(uri: "/v1/missing", method: .get, headers: [.requestID: long]) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id != long)
                #expect(response.json["requestId"] as? String == id)
            }
        }
    }

    @Test func logsOneLinePerRequestWithTraceContext() async throws {
        let capture = LogCapture()
        try await TestPlatform.withClient(.sqlite, logger: capture.logger()) { client, _ throws in
            let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            try await client.execute(
                uri: "/v1/products/0190b2f0-0000-7000-8000-000000000000", method: .get,
                headers: [.requestID: "req-42", .traceparent: traceparent]
            ) { response in
                #expect(response.status == .notFound)
            }
        }
        let lines = capture.entries.filter { $0["message"] as? String == "request" }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["request_id"] as? String == "req-42")
        #expect(line["method"] as? String == "GET")
        #expect(line["route"] as? String == "/v1/products/{id}")
        #expect(line["status"] as? String == "404")
        #expect(Double(line["duration_ms"] as? String ?? "") != nil)
        #expect(line["trace_id"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736", "the caller's trace continues")
        #expect((line["span_id"] as? String).map { $0 != "00f067aa0ba902b7" && $0.count == 16 } == true, "a new span")
    }

    /// `emporium admin rotate-data-key` reaches a service through the table's `storesPersonalData`
    /// and the service's ``PersonalDataKeeping`` conformance: the two must agree for every service.
    @Test func personalDataServicesAreFoundThroughTheTable() async throws {
        try await TestPlatform.withClient(.sqlite, table: .standard) { _, platform throws in
            for module in ServiceTable.standard.modules {
                let service = try #require(platform.services.first { $0.name == module.name })
                #expect((service is any PersonalDataKeeping) == module.storesPersonalData, "\(module.name)")
            }
        }
        #expect(ServiceTable.standard.personalDataServices == ["auth", "users", "payments", "orders", "notifications"])
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ throws in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/products?limit=1", method: .get) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/v1/products?limit=0", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_requests_total{route="/v1/products",method="GET",status="200"} 3"#))
                #expect(text.contains(#"http_requests_total{route="/v1/products",method="GET",status="400"} 1"#))
                #expect(text.contains(#"http_request_duration_seconds_bucket{route="/v1/products",method="GET",status="200",le="#))
            }
        }
    }

    @Test func healthReportsEachDatabase() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ throws in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["status"] as? String == "up")
                #expect((response.json["checks"] as? [String: [String: Any]])?["catalog.database"]?["status"] as? String == "up")
            }
        }
    }

    @Test func readinessFailsWhenACheckFails() async throws {
        let failing = HealthController(checks: [
            ReadinessCheck(name: "ok") {},
            ReadinessCheck(name: "broker") { throw CancellationError() },
        ])
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        failing.addRoutes(to: ServiceRouter(router: router, table: RouteTable()))
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let checks = response.json["checks"] as? [String: [String: Any]]
                #expect(checks?["broker"]?["status"] as? String == "down")
                #expect(checks?["ok"]?["status"] as? String == "up")
            }
        }
    }

    /// Every public route registered in the process is described in /openapi.json, and nothing
    /// else is (no `/internal/` route).
    @Test func openAPIDescribesEveryRegisteredRoute() async throws {
        try await TestPlatform.withClient(.sqlite, table: .standard) { client, platform throws in
            let registered = platform.routes.publicRoutes.map(\.description).sorted()
            #expect(registered.contains("GET /v1/products/{id}"))
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let document = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
                #expect(document["openapi"] == .string("3.1.0"))
                let described = OpenAPIDocument(title: "", version: "", fragments: [
                    OpenAPIFragment(paths: document["paths"]?.objectValue ?? [:])
                ]).operations
                #expect(described == registered)
                #expect(registered.count >= 8)
            }
        }
    }
}
