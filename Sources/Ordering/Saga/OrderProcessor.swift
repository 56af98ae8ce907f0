import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Drives an order through the work its state asks for, one step at a time, each step a call
/// to another service followed by an event appended to the order's stream:
///
/// - checking out: reserve the stock → authorize the payment → keep the reservation until
///   shipment and confirm;
/// - a cancellation decided (a failed step, the customer, support): void or refund the
///   payment, release the stock → cancelled;
/// - a shipment requested: capture the payment, commit the stock → shipped.
///
/// Every call is idempotent on the callee's side (the reservation by order id, the payment
/// calls by keys derived from the order id), so running a step again (the recovery after a
/// crash or a lost answer, two processes at once) has no second effect. An append that loses
/// to another writer reloads the order and goes on from what the other wrote.
///
/// Refusals of the business (no stock, a declined card) decide a cancellation; a callee that
/// cannot be reached throws, leaving the order where it is for the recovery.
struct OrderProcessor: Sendable {
    let store: OrderStore
    let inventory: any InventoryAPI
    let payments: any PaymentsAPI
    let metrics: CheckoutMetrics
    let faultPoint: CheckoutFaultPoint?
    let logger: Logger

    /// Runs steps until the order needs nothing more (or waits on the payment processor).
    /// - Parameter recovering: the order was found unsettled: steps that were recorded may
    ///   be checked again (a reservation that expired meanwhile cancels the order).
    /// - Throws: what a callee that cannot be reached throws; the order keeps every step done.
    func drive(_ start: Order, recovering: Bool = false) async throws -> Order {
        var order = start
        var verifyReservation = recovering
        while true {
            do {
                guard let next = try await step(order, verifyReservation: verifyReservation) else { return order }
                if next.status != order.status { verifyReservation = false }
                order = next
            } catch OrderError.concurrentChange {
                guard let reloaded = try await store.order(id: order.id) else { throw OrderError.notFound(order.id) }
                order = reloaded
            }
        }
    }

    /// Does the next piece of work of `order`; nil when there is none.
    private func step(_ order: Order, verifyReservation: Bool) async throws -> Order? {
        switch order.intent {
        case .cancel(let cancellation): return try await compensate(order, cancellation)
        case .ship: return try await ship(order)
        case nil: break
        }
        switch order.status {
        case .pending: return try await reserve(order)
        case .stockReserved: return try await authorize(order, verifyReservation: verifyReservation)
        case .paymentAuthorized: return try await confirm(order)
        default: return nil
        }
    }

    // MARK: Checkout

    private func reserve(_ order: Order) async throws -> Order {
        switch try await reservation(of: order) {
        case .reserved:
            let reserved = try await store.append([.stockReserved], to: order)
            stopIfTesting(at: .afterReservation)
            return reserved
        case .refused(let cancellation):
            return try await store.append([.cancellationRequested(cancellation)], to: order)
        }
    }

    private enum ReservationState {
        case reserved
        case refused(OrderChange.Cancellation)
    }

    /// Reserves the order's lines (or finds the reservation made before for it).
    private func reservation(of order: Order) async throws -> ReservationState {
        guard let orderId = UUID(uuidString: order.id) else { throw OrderError.notFound(order.id) }
        let request = ReservationRequest(orderId: orderId, lines: order.lines.map { ReservationLine(sku: $0.sku, quantity: $0.quantity) })
        do {
            switch try await metrics.timed(.reserve, { try await inventory.reserve(request) }) {
            case .reservation(let reservation) where reservation.status == .reserved:
                return .reserved
            case .reservation(let reservation):
                return .refused(.init(reason: "the stock reservation was \(reservation.status.rawValue)", code: "reservation_\(reservation.status.rawValue)"))
            case .insufficientStock(let shortages):
                return .refused(OrderRules.outOfStock(shortages))
            }
        } catch let error as ReservationError {
            return .refused(.init(reason: "the stock could not be reserved: \(error)", code: "reservation_refused"))
        }
    }

    private func authorize(_ order: Order, verifyReservation: Bool) async throws -> Order? {
        if verifyReservation, case .refused(let cancellation) = try await reservation(of: order) {
            return try await store.append([.cancellationRequested(cancellation)], to: order)
        }
        let request = PaymentAuthorization(
            orderId: order.id, userId: order.userId, paymentMethodId: order.paymentMethodId, amount: order.total,
            idempotencyKey: CheckoutRules.authorizationKey(order.id))
        let payment: Payment
        do {
            payment = try await metrics.timed(.authorize) { try await payments.authorize(request) }
        } catch let error as PaymentError {
            let reason =
                switch error {
                case .paymentMethodNotFound: "the payment method was removed"
                default: "the payment was refused: \(error)"
                }
            return try await store.append([.cancellationRequested(.init(reason: reason, code: "payment_refused"))], to: order)
        }
        switch payment.status {
        case .authorized:
            let authorized = try await store.append([.paymentAuthorized(paymentId: payment.id)], to: order)
            stopIfTesting(at: .afterAuthorization)
            return authorized
        case .failed:
            return try await store.append([.cancellationRequested(OrderRules.paymentFailed(payment))], to: order)
        case .pending:
            // The processor did not answer: the recovery asks again with the same key.
            logger.info("payment processor did not answer; the recovery will ask again", metadata: ["order": "\(order.id)"])
            return nil
        case .captured, .partiallyRefunded, .refunded, .voided:
            return try await store.append(
                [.cancellationRequested(.init(reason: "the payment was \(payment.status.rawValue) before the order was confirmed", code: "payment_\(payment.status.rawValue)"))],
                to: order)
        }
    }

    /// Keeps the reservation until shipment (it stops expiring), then confirms; a reservation
    /// that expired meanwhile (the checkout waited longer than `inventory.reservationTTL`)
    /// cancels the order instead.
    private func confirm(_ order: Order) async throws -> Order {
        guard let orderId = UUID(uuidString: order.id) else { throw OrderError.notFound(order.id) }
        do {
            _ = try await metrics.timed(.confirm) { try await inventory.keep(orderId: orderId) }
        } catch ReservationError.conflict(_, let status, _) {
            return try await store.append(
                [.cancellationRequested(.init(reason: "the stock reservation was \(status.rawValue) before the order was confirmed", code: "reservation_\(status.rawValue)"))],
                to: order)
        }
        return try await store.append([.confirmed], to: order)
    }

    // MARK: Cancellation

    /// Voids (or refunds) the order's payments and releases its stock, then records it cancelled.
    private func compensate(_ order: Order, _ cancellation: OrderChange.Cancellation) async throws -> Order {
        try await metrics.timed(.compensate) {
            // Authorization is asked for only once the stock is reserved: a pending order has no payment.
            if order.status != .pending {
                for payment in try await payments.payments(orderId: order.id) {
                    try await undo(payment, cancellation)
                }
            }
            if let orderId = UUID(uuidString: order.id) {
                _ = try await inventory.release(orderId: orderId)
            }
        }
        return try await store.append([.cancelled(cancellation)], to: order)
    }

    private func undo(_ payment: Payment, _ cancellation: OrderChange.Cancellation) async throws {
        let key = CheckoutRules.cancellationKey(payment.orderId)
        switch payment.status {
        case .authorized, .pending:
            do {
                _ = try await payments.void(paymentId: payment.id, idempotencyKey: key)
            } catch PaymentError.conflict(_, let status, _) where status == .captured {
                _ = try await payments.refund(paymentId: payment.id, amount: nil, reason: cancellation.reason, idempotencyKey: key)
            }
        case .captured, .partiallyRefunded:
            _ = try await payments.refund(paymentId: payment.id, amount: nil, reason: cancellation.reason, idempotencyKey: key)
        case .voided, .failed, .refunded:
            break
        }
    }

    // MARK: Shipment

    /// Captures the payment and commits the stock, then records the order shipped; a capture
    /// that fails cancels the order instead.
    private func ship(_ order: Order) async throws -> Order? {
        guard let paymentId = order.paymentId, let orderId = UUID(uuidString: order.id) else {
            return try await store.append([.cancellationRequested(.init(reason: "the order has no payment to capture", code: "no_payment"))], to: order)
        }
        let payment = try await metrics.timed(.capture) {
            try await payments.capture(paymentId: paymentId, idempotencyKey: CheckoutRules.captureKey(order.id))
        }
        switch payment.status {
        case .captured, .partiallyRefunded, .refunded:
            _ = try await metrics.timed(.commit) { try await inventory.commit(orderId: orderId) }
            return try await store.append([.shipped], to: order)
        case .failed:
            return try await store.append(
                [.cancellationRequested(.init(reason: payment.failureReason ?? "the payment could not be captured", code: payment.failureCode ?? "capture_failed"))],
                to: order)
        case .authorized, .pending, .voided:
            throw OrderStoreError(reason: "the capture of payment \(paymentId) answered \(payment.status.rawValue)")
        }
    }

    /// Kills the process at `point` when the crash tests set it (`orders.faultPoint`).
    private func stopIfTesting(at point: CheckoutFaultPoint) {
        guard faultPoint == point else { return }
        logger.critical("orders.faultPoint reached: the process stops now", metadata: ["point": "\(point.rawValue)"])
        kill(getpid(), SIGKILL)
    }
}
