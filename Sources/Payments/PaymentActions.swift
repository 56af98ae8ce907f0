import EmporiumContracts
import EmporiumCore
import Foundation
import Logging

/// What the payments service does for a call: the rules (``PaymentRules``), the processor and
/// the store, in the order that makes every call idempotent by its key.
///
/// - A key is looked up first: used before with the same request, the call answers the first
///   call's result (an authorization: the payment as it is now, settling a `pending` one); used
///   with another request, it is a 422.
/// - One request at a time talks to the processor about a payment: it holds the payment's lease
///   (``PaymentStore/Lease``); others wait for it, then find the key's record or the payment's new
///   status. A lease outlives the longest processor call, and one left by a crashed process runs out.
/// - The processor's keys are derived from the payment, so a call repeated after a lost answer
///   is the same call at the processor and moves no money twice.
/// - Each outcome is recorded in one transaction with its ledger row, the key's result and the
///   event, conditional on the lease and the payment's status.
struct PaymentActions: Sendable {
    let store: PaymentStore
    let vault: PaymentMethodStore
    let processor: any PaymentProcessor
    let processorTimeout: Duration
    let failures: PaymentFailures
    let logger: Logger

    /// How long a lease lasts: the longest processor call, plus time to record its outcome.
    var leaseDuration: Duration { processorTimeout + .seconds(10) }

    // MARK: Authorize

    func authorize(_ request: PaymentAuthorization) async throws -> Payment {
        let valid = try PaymentRules.validate(request)
        let fingerprint = IdempotencyFingerprint.authorization(valid)
        let lease = PaymentStore.Lease(paymentId: UUID.v7().lowercased, token: Self.newToken())
        let start = try await store.startAuthorization(
            valid, fingerprint: fingerprint, id: lease.paymentId, lease: lease, leaseUntil: Self.milliseconds(.now) + leaseDuration.milliseconds,
            now: .now)
        switch start {
        case .existing(let record):
            guard record.fingerprint == fingerprint else { throw Self.keyReused }
            return try await settle(paymentId: record.paymentId, key: valid.idempotencyKey)
        case .created(let stored, let sealed):
            do {
                return try await authorizeAtProcessor(stored, card: try vault.open(sealed), lease: lease, key: valid.idempotencyKey)
            } catch {
                try? await store.release(lease)
                throw error
            }
        }
    }

    /// The payment of an authorization asked again: as it is, or, while `pending`, asked of the
    /// processor again (with the same key: it answers the authorization it made, if it made one).
    private func settle(paymentId: String, key: String) async throws -> Payment {
        let settled: @Sendable (StoredPayment) -> Payment? = { $0.payment.status == .pending ? nil : $0.payment }
        return try await withLease(paymentId, unlessWhileWaiting: settled) { stored, lease in
            guard stored.payment.status == .pending else { return stored.payment }
            guard let sealed = try await vault.sealedCard(id: stored.paymentMethodId) else {
                // The card was removed meanwhile: cancel whatever the processor made, and fail.
                _ = try await callProcessor(.void) { try await processor.void(key: "void:\(stored.id)", authorizationKey: stored.id) }
                guard let failed = try await store.recordAbandonedAuthorization(lease, key: key, now: .now) else { throw Self.leaseLost }
                return failed.payment
            }
            return try await authorizeAtProcessor(stored, card: try vault.open(sealed), lease: lease, key: key)
        }
    }

    /// Asks the processor to authorize the leased, pending payment and records its answer; with
    /// no answer in time, the payment stays `pending` (released for the next call to settle).
    private func authorizeAtProcessor(_ stored: StoredPayment, card: ValidCard, lease: PaymentStore.Lease, key: String) async throws -> Payment {
        let outcome: ProcessorOutcome
        do {
            outcome = try await callProcessor(.authorize) {
                try await processor.authorize(key: stored.id, card: card, amount: stored.payment.amount)
            }
        } catch let error as PaymentsUnavailableError {
            logger.warning("no answer from the payment processor: the payment stays pending until it is asked again", metadata: [
                "payment": "\(stored.id)", "order": "\(stored.payment.orderId)", "reason": "\(error.reason)",
            ])
            try? await store.release(lease)
            return stored.payment
        }
        guard let settled = try await store.recordAuthorization(lease, outcome: outcome, key: key, now: .now) else {
            return try await current(stored.id)
        }
        return settled.payment
    }

    // MARK: Capture, void

    func capture(paymentId: String, idempotencyKey key: String) async throws -> Payment {
        let id = try PaymentRules.paymentID(paymentId)
        try PaymentRules.validateKey(key, field: "idempotencyKey")
        let fingerprint = IdempotencyFingerprint.capture(paymentId: id)
        if let replay = try await replay(.capture, paymentId: id, key: key, fingerprint: fingerprint) { return replay }
        return try await withLease(id) { stored, lease in
            if let replay = try await replay(.capture, paymentId: id, key: key, fingerprint: fingerprint) { return replay }
            guard stored.payment.status == .authorized else {
                throw PaymentError.conflict(paymentId: id, status: stored.payment.status, detail: Self.captureRefusal(stored.payment.status))
            }
            let outcome = try await callProcessor(.capture) {
                try await processor.capture(key: "capture:\(id)", authorizationKey: id, amount: stored.payment.amount)
            }
            guard let captured = try await store.recordCapture(lease, outcome: outcome, key: key, fingerprint: fingerprint, now: .now) else {
                throw Self.leaseLost
            }
            return captured.payment
        }
    }

    func void(paymentId: String, idempotencyKey key: String) async throws -> Payment {
        let id = try PaymentRules.paymentID(paymentId)
        try PaymentRules.validateKey(key, field: "idempotencyKey")
        let fingerprint = IdempotencyFingerprint.void(paymentId: id)
        if let replay = try await replay(.void, paymentId: id, key: key, fingerprint: fingerprint) { return replay }
        return try await withLease(id) { stored, lease in
            if let replay = try await replay(.void, paymentId: id, key: key, fingerprint: fingerprint) { return replay }
            switch stored.payment.status {
            case .voided, .failed:
                return stored.payment
            case .captured, .partiallyRefunded, .refunded:
                throw PaymentError.conflict(
                    paymentId: id, status: stored.payment.status, detail: "a captured payment cannot be voided; refund it instead")
            case .authorized, .pending:
                let outcome = try await callProcessor(.void) { try await processor.void(key: "void:\(id)", authorizationKey: id) }
                guard case .approved(let reference) = outcome else {
                    throw PaymentsUnavailableError(reason: "the payment processor refused the void (\(Self.reason(outcome)))")
                }
                guard let voided = try await store.recordVoid(lease, reference: reference, key: key, fingerprint: fingerprint, now: .now) else {
                    throw Self.leaseLost
                }
                return voided.payment
            }
        }
    }

    // MARK: Refund

    /// Refunds `amount` (all that remains when nil) of a captured payment; `actor` is the person
    /// who asked (audited), nil for a service.
    /// - Returns: the payment afterwards, and whether this answer is the replay of an earlier call.
    func refund(paymentId: String, amount: Money?, reason: String, idempotencyKey key: String, actor: String?) async throws -> (
        payment: Payment, replayed: Bool
    ) {
        let id = try PaymentRules.paymentID(paymentId)
        try PaymentRules.validateKey(key, field: "idempotencyKey")
        let reason = try PaymentRules.reason(reason)
        if let amount { try PaymentRules.validate(amount, field: "amount") }
        let fingerprint = IdempotencyFingerprint.refund(paymentId: id, amount: amount, reason: reason)
        if let replay = try await replay(.refund, paymentId: id, key: key, fingerprint: fingerprint) { return (replay, true) }
        return try await withLease(id) { stored, lease in
            if let replay = try await replay(.refund, paymentId: id, key: key, fingerprint: fingerprint) { return (replay, true) }
            guard stored.payment.status == .captured || stored.payment.status == .partiallyRefunded else {
                throw PaymentError.conflict(paymentId: id, status: stored.payment.status, detail: Self.refundRefusal(stored.payment.status))
            }
            let refund = try PaymentRules.refundAmount(amount, of: stored.payment)
            let outcome = try await callProcessor(.refund) {
                try await processor.refund(key: "refund:\(id):\(key)", authorizationKey: id, amount: refund)
            }
            guard case .approved(let reference) = outcome else {
                try await store.recordRefusedRefund(stored, amount: refund, code: Self.code(outcome), reason: Self.reason(outcome), key: key, now: .now)
                throw PaymentsUnavailableError(reason: "the payment processor refused the refund (\(Self.reason(outcome)))")
            }
            switch try await store.recordRefund(
                lease, amount: refund, reason: reason, reference: reference, key: key, fingerprint: fingerprint, actor: actor, now: .now)
            {
            case .refunded(let refunded):
                return (refunded.payment, false)
            case .exceeds(let refundable):
                throw PaymentError.refundExceedsCaptured(paymentId: id, refundable: refundable)
            case .leaseLost:
                throw Self.leaseLost
            }
        }
    }

    // MARK: Reads

    func payments(orderId: String) async throws -> [Payment] {
        let order = try PaymentRules.uuid(orderId, field: "orderId")
        return try await store.payments(orderId: order, userId: nil, after: nil, limit: 1_000).map(\.payment)
    }

    private func current(_ id: String) async throws -> Payment {
        guard let stored = try await store.payment(id: id) else { throw PaymentError.notFound(id) }
        return stored.payment
    }

    // MARK: Helpers

    /// The first call's answer when `key` was used for this operation on the payment, after
    /// checking it was the same request.
    private func replay(_ operation: PaymentOperationKind, paymentId: String, key: String, fingerprint: String) async throws -> Payment? {
        guard let record = try await store.idempotencyRecord(operation, scope: paymentId, key: key) else { return nil }
        guard record.fingerprint == fingerprint else { throw Self.keyReused }
        if let result = record.result { return result }
        return try await current(record.paymentId)
    }

    /// Runs `body` holding the payment's lease, waiting while another request holds it (polling
    /// with a read, from 5 ms apart up to 100 ms, and writing only when the lease looks free).
    /// `unlessWhileWaiting` sees the payment as each poll reads it, the first included: an answer
    /// it gives is returned at once, without the lease (a pending authorization that another
    /// request settled meanwhile).
    /// - Throws: ``PaymentError/notFound(_:)``, or ``PaymentsUnavailableError`` when the lease
    ///   stays taken for longer than two leases (each request's lease runs out; several in turn).
    private func withLease<Result: Sendable>(
        _ paymentId: String, unlessWhileWaiting early: (@Sendable (StoredPayment) -> Result?)? = nil,
        _ body: (StoredPayment, PaymentStore.Lease) async throws -> Result
    ) async throws -> Result {
        let lease = PaymentStore.Lease(paymentId: paymentId, token: Self.newToken())
        let clock = ContinuousClock()
        let deadline = clock.now + leaseDuration * 2 + .seconds(1)
        var pause: Duration = .milliseconds(5)
        var acquired: StoredPayment?
        while acquired == nil {
            guard let (seen, leaseUntil) = try await store.leaseState(paymentId: paymentId) else { throw PaymentError.notFound(paymentId) }
            if let early, let answer = early(seen) { return answer }
            let now = Self.milliseconds(.now)
            if leaseUntil.map({ $0 < now }) ?? true {
                acquired = try await store.takeLease(lease, until: now + leaseDuration.milliseconds, now: now)
                if acquired != nil { break }
            }
            guard clock.now < deadline else { throw PaymentsUnavailableError(reason: "another request is changing the payment; try again") }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(100))
        }
        do {
            let result = try await body(acquired!, lease)
            try? await store.release(lease)
            return result
        } catch {
            try? await store.release(lease)
            throw error
        }
    }

    /// The processor's answer to `call`, or ``PaymentsUnavailableError`` when it throws or does
    /// not answer within ``processorTimeout`` (the call is then cancelled). The error names no
    /// detail of the processor's failure, which could repeat what it was sent. Refusals and
    /// failures are counted (``PaymentFailures``).
    private func callProcessor(
        _ operation: PaymentOperationKind, _ call: @escaping @Sendable () async throws -> ProcessorOutcome
    ) async throws -> ProcessorOutcome {
        let timeout = processorTimeout
        let what = operation == .authorize ? "authorization" : operation.rawValue
        do {
            let outcome = try await withThrowingTaskGroup(of: ProcessorOutcome?.self) { group in
                group.addTask { try await call() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let outcome = first else {
                    throw PaymentsUnavailableError(reason: "the payment processor did not answer the \(what) within \(timeout)")
                }
                return outcome
            }
            failures.count(operation, outcome)
            return outcome
        } catch let error as PaymentsUnavailableError {
            failures.count(operation, reason: "processor_error")
            throw error
        } catch {
            try Task.checkCancellation()
            failures.count(operation, reason: "processor_error")
            throw PaymentsUnavailableError(reason: "the payment processor failed the \(what) (\(type(of: error)))")
        }
    }

    static let keyReused = PaymentError.unprocessable(
        field: "idempotencyKey", detail: "was used for another request: use a new key for a new request, the same key only to repeat one")
    static let leaseLost = PaymentsUnavailableError(reason: "another request took over the payment; try again with the same key")

    static func captureRefusal(_ status: PaymentStatus) -> String {
        switch status {
        case .pending: "the processor has not answered its authorization yet: authorize again with the same key first"
        case .captured, .partiallyRefunded, .refunded: "it was captured already"
        case .voided: "it was voided"
        case .failed: "it failed"
        case .authorized: "it is authorized"
        }
    }

    static func refundRefusal(_ status: PaymentStatus) -> String {
        switch status {
        case .refunded: "it was refunded in full"
        default: "only a captured payment can be refunded"
        }
    }

    static func reason(_ outcome: ProcessorOutcome) -> String {
        switch outcome {
        case .approved: "approved"
        case .refused(_, let reason): reason
        }
    }

    static func code(_ outcome: ProcessorOutcome) -> String {
        switch outcome {
        case .approved: "approved"
        case .refused(let code, _): code
        }
    }

    static func newToken() -> String { UUID().uuidString.lowercased() }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

extension Duration {
    /// The whole milliseconds of the duration.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
