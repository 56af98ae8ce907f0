public import EmporiumKit
import NIOHTTP1

/// What the cart offers orders: the lines of a signed-in user's cart (SKU and quantity, never
/// prices: the caller prices them with the catalog at that moment), and emptying it once the
/// order is placed.
///
/// In one process the runtime hands orders the cart service itself; otherwise ``HTTPCartAPI``
/// calls `/internal/v1/cart/users/{userId}`.
public protocol CartAPI: Sendable {
    /// The lines of `userId`'s cart, by SKU; empty when the user has no cart.
    func lines(ofUser userId: String) async throws -> [CartLine]

    /// Empties `userId`'s cart; emptying an empty cart does nothing.
    func clear(ofUser userId: String) async throws
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

/// The answer of `GET` and `DELETE /internal/v1/cart/users/{userId}`: the cart's lines after the call.
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

    public func clear(ofUser userId: String) async throws {
        _ = try await remote.call(.DELETE, Self.path(userId), as: CartLines.self)
    }

    private static func path(_ userId: String) -> String {
        "/internal/v1/cart/users/\(userId.lowercased())"
    }
}
