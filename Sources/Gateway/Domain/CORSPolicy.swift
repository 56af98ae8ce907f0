import Foundation
import HTTPTypes

/// Which web pages of other origins may call the API from a browser (`gateway.cors.*`), and the
/// headers that tell the browser so (the Fetch standard's CORS protocol).
///
/// Off by default: without allowed origins no CORS header is sent and browsers keep pages of
/// other origins from reading any answer. The API authenticates with bearer tokens, not cookies,
/// so credentials are never allowed (`Access-Control-Allow-Credentials` is not sent).
public struct CORSPolicy: Sendable, Equatable {
    /// The allowed origins (`https://shop.example.com`, lowercased); empty: CORS is off.
    public var allowedOrigins: Set<String>
    /// Every origin is allowed (`*`).
    public var allowsAnyOrigin: Bool
    /// How long a browser may keep a preflight's answer (`gateway.cors.maxAge`).
    public var maxAgeSeconds: Int

    /// The methods a page may use.
    public static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    /// The request headers a page may send beyond the CORS-safelisted ones.
    public static let allowedHeaders = "Authorization, Content-Type, Emporium-Read-Primary, Idempotency-Key, If-Match, If-None-Match, X-Cart-Id, X-Request-Id, traceparent"
    /// The answer headers a page may read beyond the CORS-safelisted ones.
    public static let exposedHeaders =
        "Emporium-Read-Primary, ETag, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Cart-Id, X-Request-Id, WWW-Authenticate"

    public static let off = CORSPolicy(allowedOrigins: [], allowsAnyOrigin: false, maxAgeSeconds: 600)

    public init(allowedOrigins: Set<String>, allowsAnyOrigin: Bool, maxAgeSeconds: Int) {
        self.allowedOrigins = allowedOrigins
        self.allowsAnyOrigin = allowsAnyOrigin
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Parses `gateway.cors.allowedOrigins`: `*`, or origins (`scheme://host[:port]`, no path)
    /// separated by commas. The failure names the first entry that is no origin.
    public static func parseOrigins(_ list: String) -> Result<(origins: Set<String>, any: Bool), OriginError> {
        var origins: Set<String> = []
        var any = false
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if entry == "*" {
                any = true
                continue
            }
            guard Self.isOrigin(entry) else { return .failure(OriginError(entry: entry)) }
            origins.insert(entry.lowercased())
        }
        return .success((origins, any))
    }

    /// An entry of `gateway.cors.allowedOrigins` that is no origin.
    public struct OriginError: Error, Sendable {
        public let entry: String
    }

    /// `http(s)://host[:port]` and nothing more: an origin as browsers send it.
    static func isOrigin(_ text: String) -> Bool {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") { rest = lowered.dropFirst(8) } else if lowered.hasPrefix("http://") { rest = lowered.dropFirst(7) } else { return false }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else { return false }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        if rest.hasPrefix("[") { return rest.contains("]") }
        guard parts.count <= 2, !parts[0].isEmpty else { return false }
        if parts.count == 2 { return UInt16(parts[1]) != nil }
        return true
    }

    public var isOn: Bool { allowsAnyOrigin || !allowedOrigins.isEmpty }

    /// Whether a page of `origin` may call the API.
    public func allows(origin: String) -> Bool {
        allowsAnyOrigin || allowedOrigins.contains(origin.lowercased())
    }

    /// The headers of an answer to a request from an allowed `origin`.
    public func answerHeaders(origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = allowsAnyOrigin ? "*" : origin
        headers[.accessControlExposeHeaders] = Self.exposedHeaders
        return headers
    }

    /// The headers of the answer to a preflight from an allowed `origin`.
    public func preflightHeaders(origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = allowsAnyOrigin ? "*" : origin
        headers[.accessControlAllowMethods] = Self.allowedMethods
        headers[.accessControlAllowHeaders] = Self.allowedHeaders
        headers[.accessControlMaxAge] = String(maxAgeSeconds)
        return headers
    }
}
