import EmporiumCore
import Foundation
import Metrics

/// The checkout's metrics: `orders_checkouts_total{outcome, reason}` (outcome `confirmed`,
/// `cancelled` or `unsettled`; reason the cancellation code, `none` otherwise),
/// `orders_checkout_step_duration_seconds{step}` and `orders_awaiting_recovery`; and for revenue,
/// `emporium_orders_confirmed_amount_total{currency}`: the totals of confirmed orders in the
/// currency's major unit (19.99), a series per currency from its first order.
struct CheckoutMetrics: Sendable {
    enum Step: String, Sendable, CaseIterable {
        case cart, price, reserve, authorize, confirm, compensate, capture, commit
    }

    let factory: any MetricsFactory
    private let steps: [Step: Timer]
    let awaitingRecovery: Gauge

    init(factory: any MetricsFactory) {
        self.factory = factory
        steps = Dictionary(uniqueKeysWithValues: Step.allCases.map {
            ($0, Timer(label: "orders_checkout_step_duration_seconds", dimensions: [("step", $0.rawValue)], factory: factory))
        })
        awaitingRecovery = Gauge(label: "orders_awaiting_recovery", factory: factory)
    }

    /// Counts a checkout that ended as `order` is.
    func count(_ order: Order) {
        let outcome: String
        let reason: String
        switch order.status {
        case .cancelled:
            outcome = "cancelled"
            reason = order.cancellation?.code ?? "unknown"
        case .confirmed:
            outcome = "confirmed"
            reason = "none"
            FloatingPointCounter(label: "emporium_orders_confirmed_amount_total", dimensions: [("currency", order.total.currency)], factory: factory)
                .increment(by: order.total.majorUnits)
        default:
            outcome = "unsettled"
            reason = "none"
        }
        Counter(label: "orders_checkouts_total", dimensions: [("outcome", outcome), ("reason", reason)], factory: factory).increment()
    }

    /// Runs `body`, recording its duration as `step`'s.
    func timed<Result>(_ step: Step, _ body: () async throws -> Result) async rethrows -> Result {
        let start = ContinuousClock.now
        defer { steps[step]?.recordNanoseconds((ContinuousClock.now - start).nanoseconds) }
        return try await body()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
