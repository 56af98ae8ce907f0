public import EmporiumContracts
public import EmporiumKit

/// The body of `PUT /v1/inventory/{sku}`: how many units should be available.
public struct StockAdjustment: StrictJSONBody, Sendable, Equatable {
    public static let knownFields: Set<String> = ["available"]
    public var available: Int

    public init(available: Int) {
        self.available = available
    }
}

/// The inventory's rules for stock levels, without I/O.
public enum StockRules {
    /// The most units an adjustment may make available.
    public static let maximumAvailable = 1_000_000_000

    /// Checks an adjustment.
    /// - Returns: the units to make available.
    /// - Throws: a 400 naming `available` when it is negative or above ``maximumAvailable``.
    public static func validate(_ adjustment: StockAdjustment) throws(ProblemDetails) -> Int {
        guard (0...maximumAvailable).contains(adjustment.available) else {
            throw .invalidField("available", "must be between 0 and \(maximumAvailable)")
        }
        return adjustment.available
    }

    /// An SKU's stock from its row: available is on hand less reserved, never below zero.
    public static func level(sku: String, onHand: Int, reserved: Int) -> StockLevel {
        StockLevel(sku: sku, available: max(0, onHand - reserved), onHand: onHand, reserved: reserved)
    }

    /// Whether a change from `before` to `after` available units crossed below `threshold`
    /// (from at least the threshold to less): when `inventory.stock.low` is published. A
    /// threshold of 0 never fires.
    public static func crossedBelow(threshold: Int, before: Int, after: Int) -> Bool {
        before >= threshold && after < threshold
    }

    /// The units a new SKU starts with: 100 in the embedded demo (so a newcomer can check out),
    /// else none until someone adjusts it.
    public static func initialOnHand(demo: Bool) -> Int {
        demo ? 100 : 0
    }
}
