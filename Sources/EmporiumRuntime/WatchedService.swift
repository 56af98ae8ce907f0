import Logging
import ServiceLifecycle

/// A part of the process (a relay, a consumer, a database pool, a background job) run with a
/// name, so that one that does not stop is named in the log.
///
/// Stopping waits for every part in turn; a part that ignores the graceful shutdown would keep
/// the process from exiting with nothing in the log to say which. When the part is still running
/// ``patience`` after the shutdown began, an error names it (and again at each further
/// ``patience``) until it stops.
struct WatchedService: Service, CustomStringConvertible {
    /// What the part is, for logs: `orders.relay`, `inventory.database`.
    let name: String
    let service: any Service
    let logger: Logger
    /// How long a part may take to stop before it is reported.
    var patience: Duration = .seconds(15)

    var description: String { name }

    func run() async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await service.run()
                return true
            }
            group.addTask {
                // Returns when the process begins to stop; throws when the part ends first (cancelled).
                try await gracefulShutdown()
                let clock = ContinuousClock()
                let start = clock.now
                while true {
                    try await Task.sleep(for: patience)
                    logger.error(
                        "a part of the process has not stopped since the shutdown began",
                        metadata: ["part": "\(name)", "waiting": "\(clock.now - start)"])
                }
            }
            // The part's own end (the watch never ends by itself), then the watch is cancelled.
            while let finished = try await group.next() {
                if finished { break }
            }
            group.cancelAll()
        }
    }
}
