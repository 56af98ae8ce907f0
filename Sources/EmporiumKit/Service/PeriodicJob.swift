public import Logging
public import ServiceLifecycle

/// Background work that runs once at start and then every `interval`, from the start of the
/// process (after migrations) until graceful shutdown: the inventory's reservation expiry, the
/// orders' recovery. A round that fails is logged as a warning and the next round runs on time;
/// shutdown interrupts the wait between rounds, never a round.
public struct PeriodicJob: Service {
    /// What the log says when a round fails (`could not expire reservations`).
    public let failure: String
    public let interval: Duration
    public let logger: Logger
    private let round: @Sendable () async throws -> Void

    public init(interval: Duration, logger: Logger, failure: String, round: @escaping @Sendable () async throws -> Void) {
        self.interval = interval
        self.logger = logger
        self.failure = failure
        self.round = round
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await round()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("\(failure)", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
