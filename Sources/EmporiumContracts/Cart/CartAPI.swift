public import EmporiumKit
import NIOHTTP1

/// What the cart offers orders: the lines of a signed-in user's cart (SKU and quantity, never
/// prices: the caller prices them with the catalog at that moment), and taking the ordered lines
/// off it once the order is confirmed (what the shopper added meanwhile stays).
///
/// In one process the runtime hands orders the cart service itself; otherwise ``HTTPCartAPI``
/// calls `/internal/v1/cart/users/{userId}`.
public protocol CartAPI: Sendable {
    /// The lines of `userId`'s cart, by SKU; empty when the user has no cart.
    func lines(ofUser userId: String) async throws -> [CartLine]

    /// Takes `lines`' quantities off `userId`'s cart in one step: a line left with none is
    /// removed, lines added since stay, an SKU the cart no longer has is ignored (so a retry
    /// never takes more than the cart holds of it).
    /// - Returns: the lines left.
    @discardableResult
    func remove(_ lines: [CartLine], fromCartOf userId: String) async throws -> [CartLine]
}

/// One line of a cart as stored: units of one SKU.
public struct CartLine: Codable, Sendable, Equatable {
    public var sku: String
    public var quantity: Int

    public init(sku: String, quantity: Int) {
        self.sku = sku
        self.quantity = quantity
    }
}

/// The answer of `GET /internal/v1/cart/users/{userId}` and of `POST …/removals` (whose body is
/// one too: the lines to take off): the cart's lines after the call.
public struct CartLines: Codable, Sendable, Equatable {
    public var items: [CartLine]

    public init(items: [CartLine]) {
        self.items = items
    }
}

/// ``CartAPI`` over HTTP, for a caller whose process does not run the cart.
public struct HTTPCartAPI: CartAPI {
    private let remote: RemoteService

    public init(_ remote: RemoteService) {
        self.remote = remote
    }

    public func lines(ofUser userId: String) async throws -> [CartLine] {
        try await remote.call(.GET, Self.path(userId), as: CartLines.self).items
    }

    @discardableResult
    public func remove(_ lines: [CartLine], fromCartOf userId: String) async throws -> [CartLine] {
        try await remote.call(.POST, Self.path(userId) + "/removals", body: CartLines(items: lines), as: CartLines.self).items
    }

    private static func path(_ userId: String) -> String {
        "/internal/v1/cart/users/\(userId.lowercased())"
    }
}
