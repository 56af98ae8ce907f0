import EmporiumCore
@testable import EmporiumRuntime
import EmporiumTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A process that stops: parts that ignore the shutdown are named, and waits for them end.
@Suite("Stopping a process")
struct StoppingTests {
    /// A part that ignores graceful shutdown and stops only when cancelled.
    struct Stubborn: Service {
        func run() async throws {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// A part that stops at once when asked.
    struct Obliging: Service {
        func run() async throws { try? await gracefulShutdown() }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    @Test("a part still running after its patience is logged by name until it stops; one that stops is not")
    func stubbornPartIsNamed() async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .info)
        let group = ServiceGroup(configuration: .init(
            services: [
                WatchedService(name: "test.stubborn", service: Stubborn(), logger: logger, patience: .milliseconds(200)),
                WatchedService(name: "test.obliging", service: Obliging(), logger: logger, patience: .milliseconds(200)),
            ],
            logger: Logger(label: "quiet")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(100))
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(700))
            let named = capture.entries.filter { ($0["message"] as? String)?.contains("has not stopped") == true }
            #expect(named.count >= 2, "logged again at each patience")
            #expect(named.allSatisfy { $0["part"] as? String == "test.stubborn" })
            tasks.cancelAll()
        }
        let countAfterStop = capture.entries.count
        try await Task.sleep(for: .milliseconds(400))
        #expect(capture.entries.count == countAfterStop, "nothing more once it stopped")
    }

    @Test("waiting for a task ends at its end, or at the limit while it goes on")
    func finishedWithin() async {
        let quick = Task<Void, Never> { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(await quick.finished(within: .seconds(30)))
        let stopped = Flag()
        let endless = Task<Void, Never> {
            while !stopped.isSet { try? await Task.sleep(for: .milliseconds(10)) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await !endless.finished(within: .milliseconds(200)))
        #expect(clock.now - start < .seconds(20), "the wait ended at the limit, not with the task")
        stopped.set()
        #expect(await endless.finished(within: .seconds(30)))
    }
}
