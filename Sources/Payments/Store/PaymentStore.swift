import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Messaging
import SQLKit
import Storage

/// The payments' SQL: payments, their idempotency keys, the ledger and the leases, one store for
/// PostgreSQL and SQLite.
///
/// Every change to a payment is one transaction that also appends its ledger row, stores the
/// key's result and records its event in the outbox. A change after a processor call is
/// conditional on the payment still being leased to the caller and still in the status the call
/// started from; a refund also on `refunded_amount + amount <= captured_amount`, so the total
/// refunded never exceeds the total captured whatever runs at once (the table's CHECK
/// constraint says the same once more).
struct PaymentStore: Sendable {
    let database: any Database
    let outbox: Outbox
    let vault: PaymentMethodStore

    /// The columns ``stored(_:)`` reads.
    static let columns = """
        id, order_id, user_id, payment_method_id, status, currency, amount, captured_amount, refunded_amount, failure_code, \
        failure_reason, processor_reference
        """

    /// A key's record: the fingerprint of the request that used it first, its payment, and for
    /// capture, void and refund the payment as that first call answered it.
    struct IdempotencyRecord: Sendable {
        var fingerprint: String
        var paymentId: String
        var result: Payment?
    }

    /// The right to talk to the processor about a payment: one request at a time holds it, until
    /// it records the outcome, releases it, or it runs out.
    struct Lease: Sendable {
        var paymentId: String
        var token: String
    }

    // MARK: Reads

    func payment(id: String) async throws -> StoredPayment? {
        try await database.withConnection { sql in
            try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM payments WHERE id = \(bind: id)").first().map(Self.stored)
        }
    }

    /// Up to `limit` payments of `orderId` after the payment id `after`, oldest first (ids are
    /// UUIDv7); only `userId`'s when given.
    func payments(orderId: String, userId: String?, after: String?, limit: Int) async throws -> [StoredPayment] {
        try await database.withConnection { sql in
            var query = SQLQueryString("SELECT \(unsafeRaw: Self.columns) FROM payments WHERE order_id = \(bind: orderId) AND id > \(bind: after ?? "")")
            if let userId { query += " AND user_id = \(bind: userId)" }
            query += " ORDER BY id LIMIT \(bind: limit)"
            return try await sql.raw(query).all().map(Self.stored)
        }
    }

    /// The ledger rows of a payment, oldest first.
    func ledger(paymentId: String) async throws -> [LedgerEntry] {
        try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT id, payment_id, kind, operation, amount, currency, processor_reference, failure_code, reason, idempotency_key, created_at
                FROM payment_ledger WHERE payment_id = \(bind: paymentId) ORDER BY id
                """
            ).all().map { row in
                LedgerEntry(
                    id: try row.decode(column: "id", as: String.self),
                    paymentId: try row.decode(column: "payment_id", as: String.self),
                    kind: LedgerEntry.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .failure,
                    operation: PaymentOperationKind(rawValue: try row.decode(column: "operation", as: String.self)) ?? .authorize,
                    amount: Money(amount: try row.decode(column: "amount", as: Int64.self), currency: try row.decode(column: "currency", as: String.self)),
                    processorReference: try Self.optional(row, "processor_reference"),
                    failureCode: try Self.optional(row, "failure_code"),
                    reason: try Self.optional(row, "reason"),
                    idempotencyKey: try Self.optional(row, "idempotency_key"),
                    createdAt: try row.decode(column: "created_at", as: String.self))
            }
        }
    }

    func idempotencyRecord(_ operation: PaymentOperationKind, scope: String, key: String) async throws -> IdempotencyRecord? {
        try await database.withConnection { sql in try await idempotencyRecord(operation, scope: scope, key: key, sql) }
    }

    // MARK: Authorization

    /// How an authorization starts.
    enum AuthorizationStart: Sendable {
        /// A new payment, `pending` and leased to the caller, with the card to authorize.
        case created(StoredPayment, SealedCard)
        /// The key was used before (perhaps by a call still running): its record.
        case existing(IdempotencyRecord)
    }

    /// Claims the authorization's key for the user and creates the payment `id` (`pending`,
    /// leased with `lease` until `leaseUntil`), in one transaction. A concurrent call with the
    /// same key waits for this one's transaction (the key's primary key), then finds its record.
    /// - Throws: ``PaymentError/paymentMethodNotFound(_:)`` when the method is not the user's
    ///   usable one; nothing is written then (not even the key).
    func startAuthorization(
        _ request: PaymentAuthorization, fingerprint: String, id: String, lease: Lease, leaseUntil: Int64, now: Date
    ) async throws -> AuthorizationStart {
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> AuthorizationStart in
            let claimed = try await sql.raw(
                """
                INSERT INTO payment_idempotency_keys (operation, scope, idempotency_key, fingerprint, payment_id, result, created_at)
                VALUES ('authorize', \(bind: request.userId), \(bind: request.idempotencyKey), \(bind: fingerprint), \(bind: id), NULL, \(bind: at))
                ON CONFLICT DO NOTHING RETURNING payment_id
                """
            ).all()
            guard !claimed.isEmpty else {
                guard let record = try await idempotencyRecord(.authorize, scope: request.userId, key: request.idempotencyKey, sql) else {
                    throw PaymentsUnavailableError(reason: "the idempotency key was claimed and released at once; try again")
                }
                return .existing(record)
            }
            guard let card = try await vault.sealedCard(id: request.paymentMethodId, userId: request.userId, sql) else {
                throw PaymentError.paymentMethodNotFound(request.paymentMethodId)
            }
            let amount = request.amount
            let row = try await sql.raw(
                """
                INSERT INTO payments (id, order_id, user_id, payment_method_id, status, currency, amount, captured_amount, refunded_amount,
                                      lease_token, lease_until, created_at, updated_at)
                VALUES (\(bind: id), \(bind: request.orderId), \(bind: request.userId), \(bind: request.paymentMethodId), 'pending',
                        \(bind: amount.currency), \(bind: amount.amount), 0, 0, \(bind: lease.token), \(bind: leaseUntil), \(bind: at), \(bind: at))
                RETURNING \(unsafeRaw: Self.columns)
                """
            ).first()
            guard let row else { throw PaymentsUnavailableError(reason: "the payment could not be created") }
            return .created(try Self.stored(row), card)
        }
    }

    /// Records the processor's answer to the authorization of the leased payment: `authorized`
    /// or `failed`, its ledger row and event, and releases the lease.
    /// - Returns: the payment afterwards, or nil when it is no longer `pending` and leased to
    ///   `lease` (another request settled it).
    func recordAuthorization(_ lease: Lease, outcome: ProcessorOutcome, key: String?, now: Date) async throws -> StoredPayment? {
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> StoredPayment? in
            switch outcome {
            case .approved(let reference):
                guard let stored = try await update(
                    lease, from: ["pending"],
                    "status = 'authorized', processor_reference = \(bind: reference), updated_at = \(bind: at)", sql)
                else { return nil }
                try await appendLedger(.authorization, .authorize, stored, amount: stored.payment.amount, reference: reference, key: key, at: at, sql)
                try await PaymentEventRecorder.record(PaymentsEvents.paymentAuthorized, stored, outbox: outbox, in: sql)
                return stored
            case .refused(let code, let reason):
                guard let stored = try await update(
                    lease, from: ["pending"],
                    "status = 'failed', failure_code = \(bind: code), failure_reason = \(bind: reason), updated_at = \(bind: at)", sql)
                else { return nil }
                try await appendLedger(
                    .failure, .authorize, stored, amount: stored.payment.amount, failureCode: code, reason: reason, key: key, at: at, sql)
                try await PaymentEventRecorder.record(PaymentsEvents.paymentFailed, stored, outbox: outbox, in: sql)
                return stored
            }
        }
    }

    // MARK: Leases

    /// The payment as it is now, with when its lease runs out (Unix milliseconds; nil when
    /// nobody holds it): what a request waiting for the lease polls.
    func leaseState(paymentId: String) async throws -> (payment: StoredPayment, leaseUntil: Int64?)? {
        let row = try await database.withConnection { sql in
            try await sql.raw("SELECT lease_until, \(unsafeRaw: Self.columns) FROM payments WHERE id = \(bind: paymentId)").first()
        }
        guard let row else { return nil }
        return (try Self.stored(row), try row.decodeNil(column: "lease_until") ? nil : try row.decode(column: "lease_until", as: Int64.self))
    }

    /// Takes the payment's lease for `lease.token` until `until` (Unix milliseconds) unless
    /// another request holds it at `now`.
    /// - Returns: the payment, or nil when another request holds it.
    func takeLease(_ lease: Lease, until: Int64, now: Int64) async throws -> StoredPayment? {
        try await database.transaction { sql in
            try await sql.raw(
                """
                UPDATE payments SET lease_token = \(bind: lease.token), lease_until = \(bind: until)
                WHERE id = \(bind: lease.paymentId) AND (lease_until IS NULL OR lease_until < \(bind: now))
                RETURNING \(unsafeRaw: Self.columns)
                """
            ).first().map(Self.stored)
        }
    }

    /// Gives the lease back (nothing happens when it was released or taken over already).
    func release(_ lease: Lease) async throws {
        try await database.transaction { sql in
            try await sql.raw(
                """
                UPDATE payments SET lease_token = NULL, lease_until = NULL
                WHERE id = \(bind: lease.paymentId) AND lease_token = \(bind: lease.token)
                """
            ).run()
        }
    }

    // MARK: Capture, void, refund

    /// Records the processor's answer to the capture of the leased, authorized payment:
    /// `captured` (the whole amount) or `failed` (`capture_failed`), with its ledger row, the
    /// key's result and the event.
    /// - Returns: nil when the payment is no longer authorized and leased to `lease`.
    func recordCapture(_ lease: Lease, outcome: ProcessorOutcome, key: String, fingerprint: String, now: Date) async throws -> StoredPayment? {
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> StoredPayment? in
            let stored: StoredPayment
            switch outcome {
            case .approved(let reference):
                guard let captured = try await update(
                    lease, from: ["authorized"], "status = 'captured', captured_amount = amount, updated_at = \(bind: at)", sql)
                else { return nil }
                stored = captured
                try await appendLedger(.capture, .capture, stored, amount: stored.payment.capturedAmount, reference: reference, key: key, at: at, sql)
                try await PaymentEventRecorder.record(PaymentsEvents.paymentCaptured, stored, outbox: outbox, in: sql)
            case .refused(let code, let reason):
                guard let failed = try await update(
                    lease, from: ["authorized"],
                    "status = 'failed', failure_code = \(bind: code), failure_reason = \(bind: reason), updated_at = \(bind: at)", sql)
                else { return nil }
                stored = failed
                try await appendLedger(.failure, .capture, stored, amount: stored.payment.amount, failureCode: code, reason: reason, key: key, at: at, sql)
                try await PaymentEventRecorder.record(PaymentsEvents.paymentFailed, stored, outbox: outbox, in: sql)
            }
            try await storeKey(.capture, scope: stored.id, key: key, fingerprint: fingerprint, result: stored.payment, at: at, sql)
            return stored
        }
    }

    /// Records the void of the leased payment (authorized, or pending when the processor's
    /// answer to its authorization never came), with its ledger row, the key's result and the event.
    /// - Returns: nil when the payment is no longer authorized or pending and leased to `lease`.
    func recordVoid(_ lease: Lease, reference: String, key: String, fingerprint: String, now: Date) async throws -> StoredPayment? {
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> StoredPayment? in
            guard let stored = try await update(lease, from: ["authorized", "pending"], "status = 'voided', updated_at = \(bind: at)", sql) else {
                return nil
            }
            try await appendLedger(.void, .void, stored, amount: stored.payment.amount, reference: reference, key: key, at: at, sql)
            try await storeKey(.void, scope: stored.id, key: key, fingerprint: fingerprint, result: stored.payment, at: at, sql)
            try await PaymentEventRecorder.record(PaymentsEvents.paymentVoided, stored, outbox: outbox, in: sql)
            return stored
        }
    }

    /// Fails the leased, pending payment whose card was removed before the processor answered
    /// (its authorization, if the processor made one, was voided first).
    func recordAbandonedAuthorization(_ lease: Lease, key: String?, now: Date) async throws -> StoredPayment? {
        try await recordAuthorization(
            lease, outcome: .refused(code: "processor_error", reason: "the payment method was removed before the processor answered"), key: key,
            now: now)
    }

    /// What a refund outcome is.
    enum RefundRecord: Sendable {
        case refunded(StoredPayment)
        /// The conditional update refused it: this much is refundable now.
        case exceeds(refundable: Money)
        /// The payment is no longer leased to the caller.
        case leaseLost
    }

    /// Records a refund of `amount` of the leased payment: `refunded_amount` grows by `amount`
    /// only while the sum stays within `captured_amount` (one conditional update), the status
    /// becomes `partially_refunded` or `refunded`, with its ledger row, the key's result, the
    /// event, and, when a person (`actor`) asked, the audit fact.
    func recordRefund(
        _ lease: Lease, amount: Money, reason: String, reference: String, key: String, fingerprint: String, actor: String?, now: Date
    ) async throws -> RefundRecord {
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> RefundRecord in
            let row = try await sql.raw(
                """
                UPDATE payments SET refunded_amount = refunded_amount + \(bind: amount.amount),
                    status = CASE WHEN refunded_amount + \(bind: amount.amount) >= captured_amount THEN 'refunded' ELSE 'partially_refunded' END,
                    lease_token = NULL, lease_until = NULL, updated_at = \(bind: at)
                WHERE id = \(bind: lease.paymentId) AND lease_token = \(bind: lease.token)
                    AND status IN ('captured', 'partially_refunded') AND currency = \(bind: amount.currency)
                    AND refunded_amount + \(bind: amount.amount) <= captured_amount
                RETURNING \(unsafeRaw: Self.columns)
                """
            ).first()
            guard let row else {
                guard let current = try await sql.raw(
                    "SELECT lease_token, \(unsafeRaw: Self.columns) FROM payments WHERE id = \(bind: lease.paymentId)"
                ).first(), try Self.optional(current, "lease_token") == lease.token
                else { return .leaseLost }
                return .exceeds(refundable: PaymentRules.refundable(try Self.stored(current).payment))
            }
            let stored = try Self.stored(row)
            try await appendLedger(.refund, .refund, stored, amount: amount, reference: reference, reason: reason, key: key, at: at, sql)
            try await storeKey(.refund, scope: stored.id, key: key, fingerprint: fingerprint, result: stored.payment, at: at, sql)
            try await PaymentEventRecorder.record(PaymentsEvents.paymentRefunded, stored, refund: (amount, reason), outbox: outbox, in: sql)
            if let actor {
                try await PaymentEventRecorder.auditRefund(stored, amount: amount, reason: reason, actor: actor, at: now, outbox: outbox, in: sql)
            }
            return .refunded(stored)
        }
    }

    /// Appends a refused refund to the ledger (the payment is unchanged).
    func recordRefusedRefund(_ stored: StoredPayment, amount: Money, code: String, reason: String, key: String, now: Date) async throws {
        let at = Timestamp.format(now)
        try await database.transaction { sql in
            try await appendLedger(.failure, .refund, stored, amount: amount, failureCode: code, reason: reason, key: key, at: at, sql)
        }
    }

    // MARK: Helpers

    /// `UPDATE payments SET <changes>` and releases the lease, when the payment is leased to
    /// `lease` and in one of `statuses`; the row afterwards, or nil.
    private func update(_ lease: Lease, from statuses: [String], _ changes: SQLQueryString, _ sql: any SQLDatabase) async throws -> StoredPayment? {
        let allowed = statuses.map { "'\($0)'" }.joined(separator: ", ")
        return try await sql.raw(
            """
            UPDATE payments SET \(changes), lease_token = NULL, lease_until = NULL
            WHERE id = \(bind: lease.paymentId) AND lease_token = \(bind: lease.token) AND status IN (\(unsafeRaw: allowed))
            RETURNING \(unsafeRaw: Self.columns)
            """
        ).first().map(Self.stored)
    }

    private func appendLedger(
        _ kind: LedgerEntry.Kind, _ operation: PaymentOperationKind, _ stored: StoredPayment, amount: Money, reference: String? = nil,
        failureCode: String? = nil, reason: String? = nil, key: String?, at: String, _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO payment_ledger (id, payment_id, kind, operation, amount, currency, processor_reference, failure_code, reason, idempotency_key, created_at)
            VALUES (\(bind: UUID.v7().lowercased), \(bind: stored.id), \(bind: kind.rawValue), \(bind: operation.rawValue), \(bind: amount.amount),
                    \(bind: amount.currency), \(bind: reference), \(bind: failureCode), \(bind: reason), \(bind: key), \(bind: at))
            """
        ).run()
    }

    private func storeKey(
        _ operation: PaymentOperationKind, scope: String, key: String, fingerprint: String, result: Payment, at: String, _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO payment_idempotency_keys (operation, scope, idempotency_key, fingerprint, payment_id, result, created_at)
            VALUES (\(bind: operation.rawValue), \(bind: scope), \(bind: key), \(bind: fingerprint), \(bind: scope),
                    \(bind: try JSONText.encode(result)), \(bind: at))
            """
        ).run()
    }

    private func idempotencyRecord(_ operation: PaymentOperationKind, scope: String, key: String, _ sql: any SQLDatabase) async throws -> IdempotencyRecord? {
        guard let row = try await sql.raw(
            """
            SELECT fingerprint, payment_id, result FROM payment_idempotency_keys
            WHERE operation = \(bind: operation.rawValue) AND scope = \(bind: scope) AND idempotency_key = \(bind: key)
            """
        ).first() else { return nil }
        return IdempotencyRecord(
            fingerprint: try row.decode(column: "fingerprint", as: String.self),
            paymentId: try row.decode(column: "payment_id", as: String.self),
            result: try Self.optional(row, "result").map { try JSONText.decode(Payment.self, from: $0) })
    }

    static func stored(_ row: any SQLRow) throws -> StoredPayment {
        let currency = try row.decode(column: "currency", as: String.self)
        let status = try row.decode(column: "status", as: String.self)
        guard let paymentStatus = PaymentStatus(rawValue: status) else { throw CorruptValueError(value: status, expected: "a payment status") }
        return StoredPayment(
            payment: Payment(
                id: try row.decode(column: "id", as: String.self),
                orderId: try row.decode(column: "order_id", as: String.self),
                status: paymentStatus,
                amount: Money(amount: try row.decode(column: "amount", as: Int64.self), currency: currency),
                capturedAmount: Money(amount: try row.decode(column: "captured_amount", as: Int64.self), currency: currency),
                refundedAmount: Money(amount: try row.decode(column: "refunded_amount", as: Int64.self), currency: currency),
                failureCode: try optional(row, "failure_code"),
                failureReason: try optional(row, "failure_reason")),
            userId: try row.decode(column: "user_id", as: String.self),
            paymentMethodId: try row.decode(column: "payment_method_id", as: String.self),
            processorReference: try optional(row, "processor_reference"))
    }

    static func optional(_ row: any SQLRow, _ column: String) throws -> String? {
        try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: String.self)
    }
}
