import HTTPTypes
import EmporiumKit
import Foundation
import EmporiumCore
import EmporiumContracts

/// The members of the API's answers that the pages show (docs/api.md; unknown members ignored).
enum APITypes {
    struct Category: Decodable, Sendable {
        var id: String
        var name: String
        var parentId: String?
    }

    struct Variant: Decodable, Sendable {
        var sku: String
        var attributes: [String: String]
        var price: Money
    }

    struct Product: Decodable, Sendable {
        var id: String
        var name: String
        var description: String
        var categoryId: String
        var imageUrls: [String]?
        var variants: [Variant]
        /// `draft`, `active` or `archived` (the back office sees all three).
        var status: String?
    }

    struct Facets: Decodable, Sendable {
        struct CategoryCount: Decodable, Sendable {
            var id: String
            var count: Int
        }
        struct ValueCount: Decodable, Sendable {
            var value: String
            var count: Int
        }
        var total: Int
        var categories: [CategoryCount]
        var attributes: [String: [ValueCount]]
    }

    struct ProductPage: Decodable, Sendable {
        var items: [Product]
        var nextCursor: String?
        var facets: Facets?
    }

    struct Items<Item: Decodable & Sendable>: Decodable, Sendable {
        var items: [Item]
        var nextCursor: String?
    }

    struct Recommendation: Decodable, Sendable {
        var id: String
        var name: String
        var reason: String
    }

    struct Stock: Decodable, Sendable {
        var sku: String
        var available: Int
        var onHand: Int?
        var reserved: Int?
    }

    struct CartLine: Decodable, Sendable {
        var sku: String
        var quantity: Int
        var productId: String?
        var name: String?
        var attributes: [String: String]?
        var unitPrice: Money?
        var lineTotal: Money?
        var available: Bool?
    }

    struct Cart: Decodable, Sendable {
        var id: String
        var lines: [CartLine]
        var total: Money
        var itemCount: Int?
    }

    struct Tokens: Codable, Sendable {
        var accessToken: String
        var refreshToken: String
        var expiresIn: Int
    }

    struct PaymentMethod: Decodable, Sendable {
        var id: String
        var brand: String
        var last4: String
    }

    struct OrderLine: Decodable, Sendable {
        var sku: String
        var quantity: Int
        var productName: String?
        var unitPrice: Money?
        var lineTotal: Money?
    }

    struct Order: Decodable, Sendable {
        var id: String
        var status: String
        var lines: [OrderLine]?
        var total: Money
        var cancellationReason: String?
        var createdAt: String?
        var userId: String?
        var refundedAmount: Money?
        var shippingAddress: PostalAddress?
        var itemCount: Int?
    }

    struct OrderEvent: Decodable, Sendable {
        var version: Int
        var type: String
        var recordedAt: String
        var data: JSONValue?
    }

    struct Payment: Decodable, Sendable {
        var id: String
        var status: String
        var amount: Money
        var capturedAmount: Money?
        var refundedAmount: Money?
        var failureReason: String?
    }

    struct Profile: Decodable, Sendable {
        var id: String
        var email: String
        var name: String?
        var phone: String?
        var roles: [String]
        var createdAt: String
    }

    struct AuditEntry: Decodable, Sendable {
        var sequence: Int64
        var at: String
        var actor: String
        var action: String
        var target: String
        var details: [String: String]
    }

    struct Notification: Decodable, Sendable {
        var id: String
        var title: String
        var body: String
        var subjectId: String?
        var createdAt: String
        var readAt: String?
    }
}
