import EmporiumKit
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Releases reservations whose time passed (status `expired`), every `interval`, a batch per
/// transaction until none are left; runs from the start of the process (after migrations) until
/// graceful shutdown. Counts them in `emporium_inventory_reservations_expired_total`.
struct ReservationExpiryJob: Service {
    let store: InventoryStore
    let interval: Duration
    let batchSize: Int
    /// `emporium_inventory_reservations_expired_total`.
    let expiredCount: Counter
    let logger: Logger

    func run() async throws {
        try await PeriodicJob(interval: interval, logger: logger, failure: "could not expire reservations") {
            let expired = try await expireDue(now: .now)
            if expired > 0 { logger.info("expired reservations", metadata: ["count": "\(expired)"]) }
        }.run()
    }

    /// Expires every reservation due at `now`, a batch at a time.
    /// - Returns: how many were expired.
    func expireDue(now: Date) async throws -> Int {
        var total = 0
        while !Task.isShuttingDownGracefully {
            let expired = try await store.expireDue(now: now, limit: batchSize)
            total += expired
            if expired > 0 { expiredCount.increment(by: expired) }
            guard expired == batchSize else { break }
        }
        return total
    }
}
