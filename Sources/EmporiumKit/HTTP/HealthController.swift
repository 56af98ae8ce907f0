import Foundation
public import Hummingbird
public import Metrics

/// `GET /health/live` (the process answers) and `GET /health/ready` (every readiness check passes).
public struct HealthController: Sendable {
    private let checks: [ReadinessCheck]
    private let timeout: Duration
    /// `emporium_readiness_check_up{check}`: 1 when the check passed its last run, else 0.
    private let up: [String: Gauge]

    /// - Parameters:
    ///   - checks: Every check of every service in the process.
    ///   - timeout: How long one check may take before it counts as failed.
    ///   - metrics: Where each check's last result goes (``sample()`` runs them for a scrape).
    public init(checks: [ReadinessCheck], timeout: Duration = .seconds(2), metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.checks = checks
        self.timeout = timeout
        self.up = Dictionary(checks.map { ($0.name, Gauge(label: "emporium_readiness_check_up", dimensions: [("check", $0.name)], factory: metrics)) }) { first, _ in first }
    }

    /// Runs every check, for their gauges (a scrape's sampler: ``MetricsSamplers``).
    public func sample() async {
        _ = await readiness()
    }

    /// The body of `/health/ready`.
    struct Readiness: Codable, ResponseEncodable {
        var status: String
        var checks: [String: CheckResult]
    }

    struct CheckResult: Codable {
        var status: String
        var error: String?
    }

    public func addRoutes(to router: ServiceRouter) {
        router.get("/health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"up"}"#)))
        }
        router.get("/health/ready") { request, context in
            let readiness = await self.readiness()
            var response = try context.responseEncoder.encode(readiness, from: request, context: context)
            response.status = readiness.status == "up" ? .ok : .serviceUnavailable
            return response
        }
    }

    func readiness() async -> Readiness {
        let timeout = self.timeout
        let results = await withTaskGroup(of: (String, CheckResult).self) { group in
            for check in checks {
                group.addTask {
                    do {
                        try await withTimeout(timeout) { try await check.check() }
                        return (check.name, CheckResult(status: "up"))
                    } catch {
                        return (check.name, CheckResult(status: "down", error: String(describing: error)))
                    }
                }
            }
            var results: [String: CheckResult] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
        for (name, result) in results { up[name]?.record(result.status == "up" ? 1 : 0) }
        return Readiness(status: results.values.allSatisfy { $0.status == "up" } ? "up" : "down", checks: results)
    }
}

/// A check that took longer than its time limit.
struct TimeoutError: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "no answer within \(timeout)" }
}

/// Runs `body`, throwing ``TimeoutError`` if it has not finished within `timeout` (it is cancelled).
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError(timeout: timeout)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
