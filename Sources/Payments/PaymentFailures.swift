import Metrics

/// `emporium_payment_failures_total{operation, reason}`: the processor's calls that did not go
/// through, by operation (`authorize`, `capture`, `void`, `refund`) and reason: the code of a
/// refusal (`card_declined`, `insufficient_funds`, `capture_failed`, `processor_error`), or
/// `processor_error` for a call that failed or went unanswered. A series appears with its
/// first failure.
struct PaymentFailures: Sendable {
    let factory: any MetricsFactory

    /// Counts the outcome of a call of `operation` when it is a refusal.
    func count(_ operation: PaymentOperationKind, _ outcome: ProcessorOutcome) {
        guard case .refused(let code, _) = outcome else { return }
        count(operation, reason: code)
    }

    /// Counts a failed call of `operation`.
    func count(_ operation: PaymentOperationKind, reason: String) {
        Counter(label: "emporium_payment_failures_total", dimensions: [("operation", operation.rawValue), ("reason", reason)], factory: factory)
            .increment()
    }
}
