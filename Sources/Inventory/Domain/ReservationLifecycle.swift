public import EmporiumContracts

/// The transitions of a reservation, without I/O: `reserved` → `released` (release),
/// `expired` (the expiry job) or `committed` (commit); every other status is final.
public enum ReservationLifecycle {
    /// What a call does to a reservation in a given status.
    public enum Step: Equatable, Sendable {
        /// Answer the reservation as it is: nothing changes.
        case unchanged
        /// Move the reservation to this status (and its stock with it).
        case move(to: ReservationStatus)
    }

    /// Releasing: a reserved reservation is released; a released or expired one is answered
    /// unchanged.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` for a committed one.
    public static func release(_ status: ReservationStatus, orderId: String) throws(ReservationError) -> Step {
        switch status {
        case .reserved: return .move(to: .released)
        case .released, .expired: return .unchanged
        case .committed:
            throw .conflict(orderId: orderId, status: status, detail: "a committed (shipped) reservation cannot be released")
        }
    }

    /// Keeping (the order was confirmed): a reserved reservation stops expiring; a committed one
    /// is answered unchanged.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` for a released or
    ///   expired one (its units may have been sold since).
    public static func keep(_ status: ReservationStatus, orderId: String) throws(ReservationError) -> Bool {
        switch status {
        case .reserved: return true
        case .committed: return false
        case .released, .expired:
            throw .conflict(orderId: orderId, status: status, detail: "a \(status.rawValue) reservation cannot be kept (its units may have been sold since)")
        }
    }

    /// Committing: a reserved reservation is committed; a committed one is answered unchanged.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` for a released or
    ///   expired one (its units may have been sold since).
    public static func commit(_ status: ReservationStatus, orderId: String) throws(ReservationError) -> Step {
        switch status {
        case .reserved: return .move(to: .committed)
        case .committed: return .unchanged
        case .released, .expired:
            throw .conflict(orderId: orderId, status: status, detail: "a \(status.rawValue) reservation cannot be committed (its units may have been sold since)")
        }
    }
}
