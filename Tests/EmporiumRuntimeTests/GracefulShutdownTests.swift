import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A service for this test only: `GET /test/slow` takes a while, so requests are in flight when
/// shutdown starts.
struct SlowService: EmporiumService {
    let name = "slow"
    let migrations: [Migration] = []
    let openAPI = OpenAPIFragment()
    let entered: Counter

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    func addRoutes(to router: ServiceRouter) {
        router.get("/test/slow") { _, _ in
            entered.value.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(700))
            return "done"
        }
    }
}

/// The responses the clients received.
final class Responses: Sendable {
    let values = Mutex<[String]>([])
}

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test func requestsInFlightFinishAfterShutdownStarts() async throws {
        let entered = SlowService.Counter()
        let table = ServiceTable(modules: ServiceTable.standard.modules + [
            ServiceModule(name: "slow", summary: "test") { _ in SlowService(entered: entered) }
        ])
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let settings = try await TestPlatform.settings(database: url, extra: ["seed.demo": "false"])
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let platform = try await EmporiumPlatform.build(settings: settings, table: table, logger: TestDatabases.logger) { port in
            portContinuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [platform.application], logger: TestDatabases.logger))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.timeoutIntervalForRequest = 30
        let session = URLSession(configuration: configuration)
        let requestCount = 8

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                // If the process fails to start, end the port stream so the test fails instead of hanging.
                defer { portContinuation.finish() }
                try await group.run()
            }
            let port = try #require(await ports.first { _ in true })
            let endpoint = URL(string: "http://127.0.0.1:\(port)/test/slow")!
            let responses = Responses()
            let clients = Task {
                try await withThrowingTaskGroup(of: Void.self) { requests in
                    for _ in 0..<requestCount {
                        requests.addTask {
                            let (data, response) = try await session.data(from: endpoint)
                            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                            responses.values.withLock { $0.append("\(status) \(String(decoding: data, as: UTF8.self))") }
                        }
                    }
                    try await requests.waitForAll()
                }
            }
            // Wait until every request is inside the handler, then ask the process to stop.
            for _ in 0..<500 where entered.value.withLock({ $0 }) < requestCount {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(entered.value.withLock { $0 } == requestCount)
            await group.triggerGracefulShutdown()
            try await clients.value
            #expect(responses.values.withLock { $0 } == Array(repeating: "200 done", count: requestCount))
            try await tasks.waitForAll()

            // The server no longer accepts connections.
            await #expect(throws: (any Error).self) {
                _ = try await session.data(from: URL(string: "http://127.0.0.1:\(port)/health/live")!)
            }
        }
    }
}
