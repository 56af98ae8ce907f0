import Crypto
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// Applies ``EdgeCachePolicy`` to every answer: public reads get their `Cache-Control`, a strong
/// `ETag` (a hash of the body when the handler gave none), `Vary`, and their surrogate keys, and
/// `If-None-Match` (or `If-Modified-Since` against `Last-Modified`) answers `304` without a body;
/// a request carrying `Authorization` or a cookie, and every other route, gets
/// `private, no-store` unless its handler chose otherwise.
public struct EdgeCacheMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let policy: EdgeCachePolicy

    /// The largest body hashed for an `ETag`.
    static let maximumHashedBody = 1 << 20

    public init(policy: EdgeCachePolicy) {
        self.policy = policy
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let route = context.endpointPath ?? ""
        let read = request.method == .get || request.method == .head
        let personal = (request.headers[.authorization] != nil || request.headers[.cookie] != nil)
            && !EdgeCachePolicy.callerIndependentRoutes.contains(route)
        if read, EdgeCachePolicy.immutableRoutes.contains(route), response.status == .ok, response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = EdgeCachePolicy.immutableCacheControl
            return response
        }
        guard read, let keys = EdgeCachePolicy.publicRoutes[route], [.ok, .notModified].contains(response.status) else {
            if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl }
            return response
        }
        if personal {
            // What a manager sees of a draft, or any answer to a signed-in caller, is theirs
            // (its validators still answer If-None-Match).
            response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl
            response.headers[.surrogateKey] = nil
        } else {
            if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = policy.publicCacheControl }
            // Added to what the answer varies on already (Origin, for CORS).
            let varies = response.headers[values: .vary].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            response.headers[.vary] = (varies + ["Authorization", "Cookie"].filter { name in !varies.contains { $0.caseInsensitiveCompare(name) == .orderedSame } })
                .joined(separator: ", ")
            let own = response.headers[.surrogateKey]?.split(separator: " ").map(String.init) ?? []
            let allKeys = keys + own.filter { !keys.contains($0) }
            response.headers[.surrogateKey] = SurrogateKey.surrogateKeyHeader(allKeys)
            response.headers[.cacheTag] = SurrogateKey.cacheTagHeader(allKeys)
        }
        if response.status == .ok, response.headers[.eTag] == nil, let length = response.body.contentLength, length <= Self.maximumHashedBody {
            let body = try await Self.collect(response.body)
            response.headers[.eTag] = Self.entityTag(of: body)
            response.body = ResponseBody(byteBuffer: body)
        }
        if response.status == .ok, Self.notModified(request.headers, response.headers) {
            var headers = response.headers
            headers[.contentLength] = nil
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return response
    }

    /// A strong entity tag of `body`: 128 bits of its SHA-256, base64url.
    static func entityTag(of body: ByteBuffer) -> String {
        let digest = SHA256.hash(data: body.readableBytesView)
        let encoded = Data(digest.prefix(16)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "\"\(encoded)\""
    }

    /// Whether the request's validators match the answer (RFC 9110 §13.1): `If-None-Match`
    /// (weakly compared, as §13.1.2 asks for GET) when present, else `If-Modified-Since`
    /// against `Last-Modified`.
    static func notModified(_ request: HTTPFields, _ response: HTTPFields) -> Bool {
        if let noneMatch = request[.ifNoneMatch] {
            guard let tag = response[.eTag] else { return false }
            let opaque = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
            return noneMatch.split(separator: ",").contains { candidate in
                let trimmed = candidate.trimmingCharacters(in: .whitespaces)
                return trimmed == "*" || (trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed) == opaque
            }
        }
        guard let since = request[.ifModifiedSince].flatMap(HTTPDate.parse), let modified = response[.lastModified].flatMap(HTTPDate.parse) else {
            return false
        }
        return modified <= since
    }

    private static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let collector = BodyCollector()
        try await body.write(collector)
        return collector.buffer.value
    }
}

/// Writes a response body into one buffer.
private struct BodyCollector: ResponseBodyWriter {
    final class Box: @unchecked Sendable {
        var value = ByteBuffer()
    }

    let buffer = Box()

    mutating func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.value.writeBuffer(&part)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// HTTP dates (RFC 9110 §5.6.7, IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`).
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `date`, to the second, as an IMF-fixdate: computed, without a formatter (it is on the path
    /// of every cached product read).
    public static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let dayNumber = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - dayNumber * 86_400)
        // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        let weekday = days[Int(((dayNumber % 7) + 7) % 7)]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(two(day)) \(months[month - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) GMT"
    }

    private static let parser: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
    private static let lock = NSLock()

    /// An IMF-fixdate's time; nil for anything else (only on conditional requests).
    public static func parse(_ text: String) -> Date? {
        lock.withLock { parser.date(from: text) }
    }
}

extension HTTPField.Name {
    /// Fastly's and Varnish's list of surrogate keys (space-separated).
    public static let surrogateKey = HTTPField.Name("Surrogate-Key")!
    /// Cloudflare's list of cache tags (comma-separated).
    public static let cacheTag = HTTPField.Name("Cache-Tag")!
}
