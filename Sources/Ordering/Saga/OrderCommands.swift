import EmporiumContracts
import EmporiumCore
import Foundation
import Logging

/// The commands on an existing order (cancel, ship, deliver, a refund heard of): load the
/// order, decide with ``OrderRules``, append, then let the ``OrderProcessor`` do the work the
/// new state asks for. A decision that loses to another writer is made again on the new state.
struct OrderCommands: Sendable {
    let store: OrderStore
    let processor: OrderProcessor

    /// The answer of a command: the order, and whether its work finished (false: the recovery
    /// finishes it, a callee could not be reached).
    struct Result: Sendable {
        var order: Order
        var settled: Bool
    }

    func cancel(_ id: String, _ cancellation: OrderChange.Cancellation) async throws -> Result {
        try await run(id) { order throws(OrderError) in try OrderRules.cancel(order, cancellation) }
    }

    func ship(_ id: String) async throws -> Result {
        try await run(id) { order throws(OrderError) in try OrderRules.ship(order) }
    }

    func deliver(_ id: String) async throws -> Result {
        try await run(id) { order throws(OrderError) in try OrderRules.deliver(order) }
    }

    private func run(_ id: String, decide: (Order) throws(OrderError) -> [OrderChange]) async throws -> Result {
        var attempts = 0
        while true {
            guard let order = try await store.order(id: id) else { throw OrderError.notFound(id) }
            let appended: Order
            do {
                appended = try await store.append(try decide(order), to: order)
            } catch OrderError.concurrentChange where attempts < 5 {
                attempts += 1
                continue
            }
            do {
                let driven = try await processor.drive(appended)
                return Result(order: driven, settled: !driven.isUnsettled)
            } catch let error as OrderError {
                throw error
            } catch {
                processor.logger.warning("order work left for the recovery", metadata: ["order": "\(id)", "error": "\(error)"])
                return Result(order: try await store.order(id: id) ?? appended, settled: false)
            }
        }
    }
}
