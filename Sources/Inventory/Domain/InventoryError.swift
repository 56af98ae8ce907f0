/// Why the inventory's store refused a stock change; nothing was written.
/// `Routes/InventoryProblems.swift` says how each is answered. (Reservation calls throw the
/// contract's `ReservationError`.)
public enum InventoryError: Error, Equatable, Sendable {
    /// The SKU has no stock row (the catalog has no such variant, or its event has not arrived yet).
    case unknownSKU(String)
}
