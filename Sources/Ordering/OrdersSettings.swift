public import EmporiumKit

/// The orders service's own settings (`orders.*`, see `docs/configuration.md`).
public struct OrdersSettings: Sendable, Equatable {
    /// How long an unsettled order (checking out, or cancelling or shipping) is left alone
    /// before the recovery drives it on (`orders.recoveryAfter`, seconds).
    public var recoveryAfter: Duration
    /// How often the recovery looks for such orders (`orders.recoveryInterval`, seconds).
    public var recoveryInterval: Duration
    /// How long a checkout repeated with the same key waits for the first one to settle before
    /// it answers 409 (`orders.checkoutWait`, seconds).
    public var checkoutWait: Duration
    /// For crash tests only: the process kills itself (SIGKILL) at this point of every checkout
    /// (`orders.faultPoint`: `after-reservation` or `after-authorization`). Never set it in a shop.
    public var faultPoint: CheckoutFaultPoint?

    public static let defaults = OrdersSettings()

    public init(
        recoveryAfter: Duration = .seconds(30), recoveryInterval: Duration = .seconds(5), checkoutWait: Duration = .seconds(10),
        faultPoint: CheckoutFaultPoint? = nil
    ) {
        self.recoveryAfter = recoveryAfter
        self.recoveryInterval = recoveryInterval
        self.checkoutWait = checkoutWait
        self.faultPoint = faultPoint
    }

    /// Reads the settings, each defaulting to ``defaults``.
    /// - Throws: ``ServiceSettingError`` naming a key whose value is not usable.
    public init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        let defaults = Self.defaults
        var faultPoint: CheckoutFaultPoint?
        if let text = settings.string("faultPoint"), !text.isEmpty {
            guard let point = CheckoutFaultPoint(rawValue: text) else {
                throw ServiceSettingError(
                    key: settings.fullKey("faultPoint"),
                    reason: "must be one of \(CheckoutFaultPoint.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            }
            faultPoint = point
        }
        self.init(
            recoveryAfter: try settings.seconds("recoveryAfter", default: defaults.recoveryAfter, in: 1...86_400),
            recoveryInterval: try settings.seconds("recoveryInterval", default: defaults.recoveryInterval, in: 1...3600),
            checkoutWait: try settings.seconds("checkoutWait", default: defaults.checkoutWait, in: 1...120),
            faultPoint: faultPoint)
    }
}

/// Where a crash test stops a checkout's process.
public enum CheckoutFaultPoint: String, Sendable, CaseIterable {
    /// After the reservation is recorded, before the payment is authorized.
    case afterReservation = "after-reservation"
    /// After the authorization is recorded, before the order is confirmed.
    case afterAuthorization = "after-authorization"
}
