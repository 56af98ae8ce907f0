public import EmporiumKit

/// The inventory's own settings (`inventory.*`, see `docs/configuration.md`).
public struct InventorySettings: Sendable, Equatable {
    /// How long a reservation holds its units unless committed (`inventory.reservationTTL`, seconds).
    public var reservationTTL: Duration
    /// `inventory.stock.low` is published when an SKU's available units fall below this
    /// (`inventory.lowStockThreshold`; 0 never).
    public var lowStockThreshold: Int
    /// How often the expiry job looks for reservations to expire (`inventory.expiryInterval`, seconds).
    public var expiryInterval: Duration
    /// Reservations the expiry job releases per transaction.
    public var expiryBatchSize: Int

    public static let defaults = InventorySettings()

    public init(
        reservationTTL: Duration = .seconds(15 * 60), lowStockThreshold: Int = 5, expiryInterval: Duration = .seconds(30),
        expiryBatchSize: Int = 200
    ) {
        self.reservationTTL = reservationTTL
        self.lowStockThreshold = lowStockThreshold
        self.expiryInterval = expiryInterval
        self.expiryBatchSize = expiryBatchSize
    }

    /// Reads the settings, each defaulting to ``defaults``.
    /// - Throws: ``ServiceSettingError`` naming a key whose value is not usable.
    public init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        let defaults = Self.defaults
        self.init(
            reservationTTL: try settings.seconds("reservationTTL", default: defaults.reservationTTL, in: 1...604_800),
            lowStockThreshold: try settings.int("lowStockThreshold", default: defaults.lowStockThreshold, in: 0...1_000_000),
            expiryInterval: try settings.seconds("expiryInterval", default: defaults.expiryInterval, in: 1...3600),
            expiryBatchSize: defaults.expiryBatchSize
        )
    }
}
