public import Foundation

/// One confirmed order as the recommendations service keeps it: who bought which products when.
/// The record every score is computed from (`emporium recommendations rebuild` reads it again).
public struct Purchase: Sendable, Equatable {
    /// The order's id, lower case.
    public var orderId: String
    /// The buyer's user id, lower case.
    public var userId: String
    /// The distinct products of the order's lines, lower case, sorted.
    public var productIds: [String]
    /// When the order was confirmed.
    public var at: Date

    /// - Parameter productIds: The products of the order's lines, in any case and order, repeats
    ///   allowed (two variants of one product are one product).
    public init(orderId: String, userId: String, productIds: some Sequence<String>, at: Date) {
        self.orderId = orderId.lowercased()
        self.userId = userId.lowercased()
        self.productIds = Set(productIds.map { $0.lowercased() }).sorted()
        self.at = at
    }
}
