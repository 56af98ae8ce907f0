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

    /// Reads `limit` and `cursor` from the query; a bad value is a 400 naming the parameter, and a
    /// well-formed cursor that this server did not issue a 422.
    public init(query: [String: String]) throws(ProblemDetails) {
        var errors: [ProblemDetails.FieldError] = []
        var unprocessable: [ProblemDetails.FieldError] = []
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
            if let problem = Cursor.malformed(raw) {
                errors.append(problem)
            } else if let key = Cursor.decode(raw) {
                after = key
            } else {
                unprocessable.append(Cursor.unknown)
            }
        }
        try ProblemDetails.throwIfAny(invalid: errors, unprocessable: unprocessable)
        self.init(limit: limit, after: after)
    }
}

/// Opaque pagination cursors: base64url of a versioned sort key (`v1:<key>`).
public enum Cursor {
    /// The longest cursor read; longer ones are refused without decoding.
    public static let maximumLength = 512

    /// The cursor that continues after the item with sort key `key`.
    public static func encode(_ key: String) -> String {
        Data("v1:\(key)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The 400 error for a `cursor` parameter that no cursor can be (empty, too long, or not
    /// base64url), or nil when it has a cursor's form (whether or not this server issued it).
    public static func malformed(_ cursor: String) -> ProblemDetails.FieldError? {
        let wellFormed = (1...maximumLength).contains(cursor.utf8.count) && cursor.utf8.allSatisfy {
            (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F
        }
        return wellFormed ? nil : .init(parameter: "cursor", detail: "must be the nextCursor of a previous page (1-\(maximumLength) characters of A-Z, a-z, 0-9, - and _)")
    }

    /// The 422 error for a well-formed cursor that this server did not issue.
    public static let unknown = ProblemDetails.FieldError(parameter: "cursor", detail: "is not a cursor returned by this API")

    /// The sort key in `cursor`, or nil when it is not one of ours.
    public static func decode(_ cursor: String) -> String? {
        guard cursor.count <= maximumLength else { return nil }
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
    /// The query parameters as a dictionary (the last value wins when one is repeated), decoded
    /// like ``queryItems``.
    public var queryParameters: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in queryItems {
            result[key] = value
        }
        return result
    }

    /// The query parameters in order, names and values decoded as HTML forms and clients encode
    /// them (`application/x-www-form-urlencoded`): `+` is a space, then `%XX` escapes of UTF-8
    /// are decoded. A name or value whose escapes are not UTF-8 is kept as sent. A parameter
    /// without `=` has the empty value.
    ///
    /// Names are decoded too (Hummingbird's `queryParameters` decodes values only), so
    /// `attr.%C3%A9t%C3%A9=x` is the parameter `attr.été` and lengths count decoded characters.
    public var queryItems: [(key: String, value: String)] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.formDecoded(parts[0]), parts.count > 1 ? Self.formDecoded(parts[1]) : "")
        }
    }

    /// `text` with `+` as a space and its percent escapes decoded; as sent when they are not UTF-8.
    static func formDecoded(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
