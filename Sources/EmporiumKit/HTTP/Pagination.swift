import Foundation
public import Hummingbird

/// A page request read from `?limit=&cursor=`, validated: `limit` 1…100 (default 20) and an opaque
/// cursor that only this server produces.
public struct PageRequest: Sendable, Equatable {
    /// How many items to return.
    public var limit: Int
    /// The sort key of the last item of the previous page, or nil for the first page.
    public var after: String?

    public static let defaultLimit = 20
    public static let maximumLimit = 100

    public init(limit: Int = PageRequest.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }

    /// Reads `limit` and `cursor` from the query; a bad value is a 400 naming the parameter.
    public init(query: [String: String]) throws(ProblemDetails) {
        var errors: [ProblemDetails.FieldError] = []
        var limit = Self.defaultLimit
        if let raw = query["limit"] {
            if let value = Int(raw), (1...Self.maximumLimit).contains(value) {
                limit = value
            } else {
                errors.append(.init(parameter: "limit", detail: "must be an integer from 1 to \(Self.maximumLimit)"))
            }
        }
        var after: String?
        if let raw = query["cursor"] {
            if let key = Cursor.decode(raw) {
                after = key
            } else {
                errors.append(.init(parameter: "cursor", detail: "is not a cursor returned by this API"))
            }
        }
        guard errors.isEmpty else { throw .validation(errors) }
        self.init(limit: limit, after: after)
    }
}

/// Opaque pagination cursors: base64url of a versioned sort key (`v1:<key>`).
public enum Cursor {
    /// The cursor that continues after the item with sort key `key`.
    public static func encode(_ key: String) -> String {
        Data("v1:\(key)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The sort key in `cursor`, or nil when it is not one of ours.
    public static func decode(_ cursor: String) -> String? {
        guard cursor.count <= 512 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("v1:"), text.count > 3
        else { return nil }
        return String(text.dropFirst(3))
    }
}

/// A page of results as every list endpoint returns it: `{"items": [...], "nextCursor": "..."}`.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable, ResponseEncodable {
    public var items: [Item]
    /// Absent on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Request {
    /// The query parameters as a dictionary (the last value wins when one is repeated).
    public var queryParameters: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in uri.queryParameters {
            result[String(key)] = String(value)
        }
        return result
    }
}
