import EmporiumContracts
import EmporiumCore
import Foundation
import SQLKit

/// The query tables (`orders`, `order_lines`) as functions of the fold: every append rewrites
/// the order's row in its transaction, and a replay writes the same rows from the streams, so
/// the two cannot disagree.
enum OrderProjection {
    /// The row of `order`; its lines too when `withLines` (they never change after placement).
    static func write(_ order: Order, withLines: Bool, _ sql: any SQLDatabase) async throws {
        let intent: String? =
            switch order.intent {
            case .cancel: "cancel"
            case .ship: "ship"
            case nil: nil
            }
        let itemCount = order.lines.reduce(0) { $0 + $1.quantity }
        try await sql.raw(
            """
            INSERT INTO orders (id, user_id, status, currency, total, refunded_amount, item_count, payment_method_id, payment_id,
                                cancellation_reason, cancellation_code, intent, version, created_at, updated_at)
            VALUES (\(bind: order.id), \(bind: order.userId), \(bind: order.status.rawValue), \(bind: order.total.currency),
                    \(bind: order.total.amount), \(bind: order.refundedAmount.amount), \(bind: itemCount), \(bind: order.paymentMethodId),
                    \(bind: order.paymentId), \(bind: order.cancellation?.reason), \(bind: order.cancellation?.code), \(bind: intent),
                    \(bind: order.version), \(bind: order.createdAt), \(bind: order.updatedAt))
            ON CONFLICT (id) DO UPDATE SET
                user_id = excluded.user_id, status = excluded.status, currency = excluded.currency, total = excluded.total,
                refunded_amount = excluded.refunded_amount, item_count = excluded.item_count,
                payment_method_id = excluded.payment_method_id, payment_id = excluded.payment_id,
                cancellation_reason = excluded.cancellation_reason, cancellation_code = excluded.cancellation_code,
                intent = excluded.intent, version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at
            """
        ).run()
        guard withLines else { return }
        try await sql.raw("DELETE FROM order_lines WHERE order_id = \(bind: order.id)").run()
        for (position, line) in order.lines.enumerated() {
            try await sql.raw(
                """
                INSERT INTO order_lines (order_id, position, sku, product_id, product_name, quantity, currency, unit_price, line_total)
                VALUES (\(bind: order.id), \(bind: position), \(bind: line.sku), \(bind: line.productId), \(bind: line.productName),
                        \(bind: line.quantity), \(bind: line.unitPrice.currency), \(bind: line.unitPrice.amount), \(bind: line.lineTotal.amount))
                """
            ).run()
        }
    }

    /// The columns ``summary(_:)`` reads.
    static let summaryColumns = """
        id, user_id, status, currency, total, refunded_amount, item_count, payment_method_id, payment_id, cancellation_reason, \
        cancellation_code, version, created_at, updated_at
        """

    static func summary(_ row: any SQLRow) throws -> OrderSummary {
        let currency = try row.decode(column: "currency", as: String.self)
        return OrderSummary(
            id: try row.decode(column: "id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            status: try status(row),
            total: Money(amount: try row.decode(column: "total", as: Int64.self), currency: currency),
            refundedAmount: Money(amount: try row.decode(column: "refunded_amount", as: Int64.self), currency: currency),
            itemCount: Int(try row.decode(column: "item_count", as: Int64.self)),
            cancellationReason: try optional(row, "cancellation_reason"),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }

    static func details(_ row: any SQLRow, lines: [OrderLine], address: PostalAddress?) throws -> OrderDetails {
        let summary = try summary(row)
        return OrderDetails(
            id: summary.id, userId: summary.userId, status: summary.status, lines: lines, total: summary.total,
            refundedAmount: summary.refundedAmount, paymentMethodId: try row.decode(column: "payment_method_id", as: String.self),
            paymentId: try optional(row, "payment_id"), shippingAddress: address, cancellationReason: summary.cancellationReason,
            cancellationCode: try optional(row, "cancellation_code"), version: Int(try row.decode(column: "version", as: Int64.self)),
            createdAt: summary.createdAt, updatedAt: summary.updatedAt)
    }

    static func line(_ row: any SQLRow) throws -> OrderLine {
        let currency = try row.decode(column: "currency", as: String.self)
        return OrderLine(
            sku: try row.decode(column: "sku", as: String.self),
            productId: try row.decode(column: "product_id", as: String.self),
            productName: try row.decode(column: "product_name", as: String.self),
            quantity: Int(try row.decode(column: "quantity", as: Int64.self)),
            unitPrice: Money(amount: try row.decode(column: "unit_price", as: Int64.self), currency: currency),
            lineTotal: Money(amount: try row.decode(column: "line_total", as: Int64.self), currency: currency))
    }

    private static func status(_ row: any SQLRow) throws -> OrderStatus {
        let text = try row.decode(column: "status", as: String.self)
        guard let status = OrderStatus(rawValue: text) else { throw CorruptOrderStreamError(orderId: "", detail: "has status '\(text)'") }
        return status
    }

    static func optional(_ row: any SQLRow, _ column: String) throws -> String? {
        try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: String.self)
    }
}
