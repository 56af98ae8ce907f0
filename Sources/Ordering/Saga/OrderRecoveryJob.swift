import EmporiumKit
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Finds orders left unsettled past `orders.recoveryAfter` (a crash, a timeout, an answer that
/// was lost, a callee that was down) and drives each on with the ``OrderProcessor``: forward
/// when every step can still be done, back (compensated and cancelled) when one was refused.
/// Every step it repeats is idempotent on the callee's side. Runs every
/// `orders.recoveryInterval`, from the start of the process until graceful shutdown; several
/// processes may run it at once.
struct OrderRecoveryJob: Service {
    let store: OrderStore
    let processor: OrderProcessor
    let recoveryAfter: Duration
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    func run() async throws {
        try await PeriodicJob(interval: interval, logger: logger, failure: "order recovery failed") {
            try await recoverDue(now: .now)
        }.run()
    }

    /// Drives each order unsettled since before `now - recoveryAfter` once.
    /// - Returns: how many orders settled.
    @discardableResult
    func recoverDue(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(recoveryAfter.components.seconds))
        let due = try await store.unsettled(changedBefore: cutoff, limit: batchSize)
        var settled = 0
        for id in due where !Task.isShuttingDownGracefully {
            do {
                guard let order = try await store.order(id: id) else { continue }
                let after = try await processor.drive(order, recovering: true)
                if !after.isUnsettled {
                    settled += 1
                    if order.status.isCheckingOut { processor.metrics.count(after) }
                    logger.info("recovered order", metadata: ["order": "\(id)", "status": "\(after.status.rawValue)"])
                }
            } catch {
                logger.warning("could not recover order yet", metadata: ["order": "\(id)", "error": "\(error)"])
            }
        }
        processor.metrics.awaitingRecovery.record(try await store.unsettledCount())
        return settled
    }
}
