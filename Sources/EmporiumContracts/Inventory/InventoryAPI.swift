public import Foundation

/// What the inventory service offers the services that sell: stock levels, and reservations of
/// stock for an order (all lines or none, idempotent by order id, expiring unless committed).
///
/// The cart checks availability with it; orders reserve, commit and release with it. In one
/// process the runtime hands the caller the inventory service itself; otherwise
/// ``HTTPInventoryAPI`` calls the `/internal/v1/inventory/...` routes.
public protocol InventoryAPI: Sendable {
    /// The stock of each of `skus` that has a stock row; an SKU without one is absent (nothing
    /// of it can be sold). At most ``StockLookup/maximumSKUs`` SKUs per call.
    func stock(skus: [String]) async throws -> [String: StockLevel]

    /// Reserves every line of `request` for its order, or nothing when one line lacks stock.
    ///
    /// Idempotent by order id: a second call for an order that already has a reservation
    /// reserves nothing more and answers that reservation (whatever its status now); the same
    /// order id with other lines is a ``ReservationError/conflict(orderId:status:detail:)``.
    /// - Throws: ``ReservationError/invalid(field:detail:)`` for an empty, repeated or
    ///   out-of-range line.
    func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome

    /// Releases the order's reservation (the order was cancelled or its checkout failed): its
    /// units are available again. Releasing a released or expired reservation answers it
    /// unchanged. Releasing an order that has no reservation records a released one with no
    /// lines, so a reservation arriving later for that order reserves nothing.
    /// - Throws: ``ReservationError/conflict(orderId:status:detail:)`` when it was committed.
    func release(orderId: UUID) async throws -> Reservation

    /// Keeps the order's reservation until it is committed or released (the order was
    /// confirmed): it no longer expires. Keeping a kept or committed reservation answers it
    /// unchanged.
    /// - Throws: ``ReservationError/notFound(orderId:)``, or
    ///   ``ReservationError/conflict(orderId:status:detail:)`` when it was released or expired.
    func keep(orderId: UUID) async throws -> Reservation

    /// Commits the order's reservation (the order shipped): on hand and reserved both go down by
    /// each line's quantity. Committing a committed reservation answers it unchanged.
    /// - Throws: ``ReservationError/notFound(orderId:)`` when the order has no reservation,
    ///   ``ReservationError/conflict(orderId:status:detail:)`` when it was released or expired.
    func commit(orderId: UUID) async throws -> Reservation
}

/// The stock of one SKU; `available` = `onHand` − `reserved`, never below zero.
public struct StockLevel: Codable, Sendable, Equatable {
    public var sku: String
    public var available: Int
    public var onHand: Int
    public var reserved: Int

    public init(sku: String, available: Int, onHand: Int, reserved: Int) {
        self.sku = sku
        self.available = available
        self.onHand = onHand
        self.reserved = reserved
    }
}

/// The body of `POST /internal/v1/inventory/stock/lookup`.
public struct StockLookup: Codable, Sendable, Equatable {
    /// The most SKUs one lookup may name.
    public static let maximumSKUs = 200
    public var skus: [String]

    public init(skus: [String]) {
        self.skus = skus
    }
}

/// The answer of `POST /internal/v1/inventory/stock/lookup`.
public struct StockLookupResult: Codable, Sendable, Equatable {
    public var items: [StockLevel]

    public init(items: [StockLevel]) {
        self.items = items
    }
}

/// One line of a reservation: units of one SKU.
public struct ReservationLine: Codable, Sendable, Equatable, Hashable {
    public var sku: String
    /// At least 1.
    public var quantity: Int

    public init(sku: String, quantity: Int) {
        self.sku = sku
        self.quantity = quantity
    }
}

/// What to reserve for an order (`PUT /internal/v1/inventory/reservations/{orderId}` takes
/// `{"lines": [...]}`).
public struct ReservationRequest: Codable, Sendable, Equatable {
    /// The most lines one reservation may have.
    public static let maximumLines = 100
    /// The order's id: the reservation's identity.
    public var orderId: UUID
    /// One line per SKU, each SKU once.
    public var lines: [ReservationLine]

    public init(orderId: UUID, lines: [ReservationLine]) {
        self.orderId = orderId
        self.lines = lines
    }
}

/// Where a reservation is in its life.
public enum ReservationStatus: String, Codable, Sendable, CaseIterable {
    /// Units are held for the order until it commits, releases or the reservation expires.
    case reserved
    /// Released by the order (cancelled, or its checkout failed): the units are available again.
    case released
    /// Not committed in time: the expiry job released the units.
    case expired
    /// The order shipped: the units left the warehouse.
    case committed
}

/// An order's reservation.
public struct Reservation: Codable, Sendable, Equatable {
    /// The order's id, lower case.
    public var orderId: String
    public var status: ReservationStatus
    public var lines: [ReservationLine]
    /// When a `reserved` reservation will be released unless committed or kept (ISO 8601 UTC).
    public var expiresAt: String
    /// When the order was confirmed and the reservation kept (``InventoryAPI/keep(orderId:)``):
    /// from then on it does not expire. Nil until then.
    public var keptAt: String?

    public init(orderId: String, status: ReservationStatus, lines: [ReservationLine], expiresAt: String, keptAt: String? = nil) {
        self.orderId = orderId
        self.status = status
        self.lines = lines
        self.expiresAt = expiresAt
        self.keptAt = keptAt
    }
}

/// A line that could not be reserved: how many were asked for and how many are available.
public struct StockShortage: Codable, Sendable, Equatable {
    public var sku: String
    public var requested: Int
    /// 0 for an SKU without a stock row.
    public var available: Int

    public init(sku: String, requested: Int, available: Int) {
        self.sku = sku
        self.requested = requested
        self.available = available
    }
}

/// The answer to a reservation request.
public enum ReservationOutcome: Sendable, Equatable {
    /// The order's reservation: made now, or made earlier for the same order id (its status
    /// may since have become released, expired or committed).
    case reservation(Reservation)
    /// Nothing was reserved: these lines lack stock.
    case insufficientStock([StockShortage])
}

extension ReservationOutcome: Codable {
    private enum CodingKeys: String, CodingKey {
        case outcome, reservation, shortages
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .outcome) {
        case "reserved":
            self = .reservation(try container.decode(Reservation.self, forKey: .reservation))
        case "insufficient_stock":
            self = .insufficientStock(try container.decode([StockShortage].self, forKey: .shortages))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .outcome, in: container, debugDescription: "unknown outcome \(other)")
        }
    }

    /// `{"outcome": "reserved", "reservation": {...}}` or
    /// `{"outcome": "insufficient_stock", "shortages": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .reservation(let reservation):
            try container.encode("reserved", forKey: .outcome)
            try container.encode(reservation, forKey: .reservation)
        case .insufficientStock(let shortages):
            try container.encode("insufficient_stock", forKey: .outcome)
            try container.encode(shortages, forKey: .shortages)
        }
    }
}

/// Why the inventory refused a reservation call (a shortage is not an error: see
/// ``ReservationOutcome/insufficientStock(_:)``).
public enum ReservationError: Error, Sendable, Equatable {
    /// A line is invalid (`lines[2].quantity`: "must be between 1 and 999"): 400.
    case invalid(field: String, detail: String)
    /// The order has no reservation: 404.
    case notFound(orderId: String)
    /// The reservation's status forbids the call, or the order id was reserved with other
    /// lines: 409.
    case conflict(orderId: String, status: ReservationStatus, detail: String)
}

/// The events the inventory publishes: type names (routing keys) and payloads.
public enum InventoryEvents {
    /// Units were reserved for an order; data: ``StockReservationEvent``.
    public static let stockReserved = "inventory.stock.reserved"
    /// A reservation was released (cancelled, failed checkout, or expired); data: ``StockReservationEvent``.
    public static let stockReleased = "inventory.stock.released"
    /// A reservation was committed at shipment; data: ``StockReservationEvent``.
    public static let stockCommitted = "inventory.stock.committed"
    /// An SKU's available stock fell below the configured threshold; data: ``StockLevelEvent``.
    public static let stockLow = "inventory.stock.low"
    /// Someone set an SKU's stock by hand; data: ``StockLevelEvent``.
    public static let stockAdjusted = "inventory.stock.adjusted"
    /// Something the audit log must record happened in the inventory (a stock adjustment, action
    /// `inventory_adjusted`); data: `AuditFact`. The users service appends it to the audit log.
    public static let auditFact = "inventory.audit.fact"
}

/// The data of `inventory.stock.reserved`, `.released` and `.committed`.
public struct StockReservationEvent: Codable, Sendable, Equatable {
    public var orderId: String
    /// `reserved`, `released`, `expired` or `committed`: the reservation's status after the change.
    public var status: String
    public var lines: [ReservationLine]

    public init(orderId: String, status: String, lines: [ReservationLine]) {
        self.orderId = orderId
        self.status = status
        self.lines = lines
    }
}

/// The data of `inventory.stock.low` and `inventory.stock.adjusted`: the SKU's stock after the change.
public struct StockLevelEvent: Codable, Sendable, Equatable {
    public var sku: String
    public var available: Int
    public var onHand: Int
    public var reserved: Int
    /// For `.low`: the threshold that `available` fell below.
    public var threshold: Int?

    public init(sku: String, available: Int, onHand: Int, reserved: Int, threshold: Int? = nil) {
        self.sku = sku
        self.available = available
        self.onHand = onHand
        self.reserved = reserved
        self.threshold = threshold
    }
}
