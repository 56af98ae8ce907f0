import Crypto
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// Applies ``EdgeCachePolicy`` to every answer: public reads get their `Cache-Control`, a strong
/// `ETag` (a hash of the body when the handler gave none), `Vary`, and their surrogate keys, and
/// `If-None-Match` (or `If-Modified-Since` against `Last-Modified`) answers `304` without a body;
/// a request carrying `Authorization` or a cookie, an answer setting a cookie, and every other
/// route, get `private, no-store` unless its handler chose otherwise.
public struct EdgeCacheMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    /// `Cache-Control` of a public read, made once.
    private let publicCacheControl: String
    /// Per public route, its keys joined for `Surrogate-Key` and `Cache-Tag`, made once.
    private let routeKeys: [String: RouteKeys]

    /// The largest body hashed for an `ETag`.
    static let maximumHashedBody = 1 << 20
    /// What a public read varies on, beyond what the handler said.
    static let varyNames = ["Authorization", "Cookie"]
    static let vary = varyNames.joined(separator: ", ")

    /// The surrogate keys of a public route.
    struct RouteKeys {
        var keys: [String]
        var surrogateKey: String
        var cacheTag: String

        /// The `Surrogate-Key` and `Cache-Tag` values of the route's keys followed by the
        /// handler's own (space-separated) that the route's do not hold already.
        func adding(_ own: String) -> (surrogateKey: String, cacheTag: String) {
            let space = UInt8(ascii: " ")
            if own.utf8.starts(with: surrogateKey.utf8), (own.utf8.dropFirst(surrogateKey.utf8.count).first ?? space) == space {
                // The handler named the route's keys first already (a product read from its cache).
                return (own, String(decoding: own.utf8.map { $0 == space ? UInt8(ascii: ",") : $0 }, as: UTF8.self))
            }
            // Bytes appended, not strings: this runs on every public read of a product.
            var surrogateKey = Array(self.surrogateKey.utf8)
            var cacheTag = Array(self.cacheTag.utf8)
            for key in own.utf8.split(separator: space) where !keys.contains(where: { $0.utf8.elementsEqual(key) }) {
                if !surrogateKey.isEmpty {
                    surrogateKey.append(space)
                    cacheTag.append(UInt8(ascii: ","))
                }
                surrogateKey.append(contentsOf: key)
                cacheTag.append(contentsOf: key)
            }
            return (String(decoding: surrogateKey, as: UTF8.self), String(decoding: cacheTag, as: UTF8.self))
        }
    }

    public init(policy: EdgeCachePolicy) {
        self.publicCacheControl = policy.publicCacheControl
        self.routeKeys = EdgeCachePolicy.publicRoutes.mapValues { keys in
            RouteKeys(keys: keys, surrogateKey: SurrogateKey.surrogateKeyHeader(keys), cacheTag: SurrogateKey.cacheTagHeader(keys))
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let route = context.endpointPath ?? ""
        let ok = response.status == .ok
        guard request.method == .get || request.method == .head, ok || response.status == .notModified else {
            return Self.withDefault(EdgeCachePolicy.privateCacheControl, response)
        }
        if EdgeCachePolicy.immutableRoutes.contains(route) {
            return Self.withDefault(ok ? EdgeCachePolicy.immutableCacheControl : EdgeCachePolicy.privateCacheControl, response)
        }
        guard let keys = routeKeys[route] else { return Self.withDefault(EdgeCachePolicy.privateCacheControl, response) }
        // Each header looked up once: a lookup walks the fields, and this runs on every public read.
        let asked = RequestValidators(request.headers)
        let answer = AnswerHeaders(response.headers)
        if answer.setsCookie || (asked.fromCaller && !EdgeCachePolicy.callerIndependentRoutes.contains(route)) {
            // What a manager sees of a draft, any answer to a signed-in caller, and an answer
            // that sets a cookie are theirs (its validators still answer If-None-Match).
            response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl
            if answer.surrogateKey != nil { response.headers[.surrogateKey] = nil }
        } else {
            if !answer.cacheControl { response.headers.append(HTTPField(name: .cacheControl, value: publicCacheControl)) }
            if let vary = answer.vary {
                response.headers[.vary] = Self.varyAdding(vary)
            } else {
                response.headers.append(HTTPField(name: .vary, value: Self.vary))
            }
            if let own = answer.surrogateKey {
                let (surrogateKey, cacheTag) = keys.adding(own)
                response.headers[.surrogateKey] = surrogateKey
                response.headers.append(HTTPField(name: .cacheTag, value: cacheTag))
            } else {
                response.headers.append(HTTPField(name: .surrogateKey, value: keys.surrogateKey))
                response.headers.append(HTTPField(name: .cacheTag, value: keys.cacheTag))
            }
        }
        var eTag = answer.eTag
        if ok, eTag == nil, let length = response.body.contentLength, length <= Self.maximumHashedBody {
            let body = try await Self.collect(response.body)
            let tag = Self.entityTag(of: body)
            response.headers.append(HTTPField(name: .eTag, value: tag))
            response.body = ResponseBody(byteBuffer: body)
            eTag = tag
        }
        if ok, asked.conditional, Self.notModified(asked, eTag: eTag, lastModified: answer.lastModified) {
            var headers = response.headers
            headers[.contentLength] = nil
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return response
    }

    /// `response` with `cacheControl` unless its handler chose a `Cache-Control` of its own.
    private static func withDefault(_ cacheControl: String, _ response: Response) -> Response {
        guard response.headers[.cacheControl] == nil else { return response }
        var response = response
        response.headers.append(HTTPField(name: .cacheControl, value: cacheControl))
        return response
    }

    /// A `Vary` value (`Origin`, for CORS) with ``varyNames`` added where it lacks them.
    static func varyAdding(_ value: String) -> String {
        let present = value.split(separator: ",").map { $0.trimmingASCIISpaces().lowercased() }
        let missing = varyNames.filter { !present.contains($0.lowercased()) }
        return missing.isEmpty ? value : ([value] + missing).joined(separator: ", ")
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
    static func notModified(_ asked: RequestValidators, eTag: String?, lastModified: String?) -> Bool {
        if let noneMatch = asked.ifNoneMatch {
            guard let tag = eTag else { return false }
            let opaque = tag.hasPrefix("W/") ? tag.dropFirst(2) : tag[...]
            return noneMatch.split(separator: ",").contains { candidate in
                let trimmed = candidate.trimmingASCIISpaces()
                return trimmed == "*" || (trimmed.hasPrefix("W/") ? trimmed.dropFirst(2) : trimmed) == opaque
            }
        }
        guard let since = asked.ifModifiedSince.flatMap(HTTPDate.parse), let modified = lastModified.flatMap(HTTPDate.parse) else {
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

extension Substring {
    /// Without leading and trailing spaces and tabs (the optional whitespace of HTTP lists).
    func trimmingASCIISpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}

/// What a request says that decides how a public read is answered, read in one pass over its
/// headers.
struct RequestValidators {
    /// It carries `Authorization` or a cookie: its answer may be the caller's own.
    var fromCaller = false
    var ifNoneMatch: String?
    var ifModifiedSince: String?

    var conditional: Bool { ifNoneMatch != nil || ifModifiedSince != nil }

    init(_ headers: HTTPFields) {
        for field in headers {
            switch field.name {
            case .authorization, .cookie: fromCaller = true
            case .ifNoneMatch: ifNoneMatch = ifNoneMatch.map { $0 + ", " + field.value } ?? field.value
            case .ifModifiedSince: ifModifiedSince = field.value
            default: continue
            }
        }
    }
}

/// The headers of an answer the middleware reads, in one pass.
struct AnswerHeaders {
    var cacheControl = false
    var vary: String?
    var surrogateKey: String?
    var eTag: String?
    var lastModified: String?
    /// It sets a cookie: it belongs to whoever receives it.
    var setsCookie = false

    init(_ headers: HTTPFields) {
        for field in headers {
            switch field.name {
            case .cacheControl: cacheControl = true
            case .vary: vary = vary.map { $0 + ", " + field.value } ?? field.value
            case .surrogateKey: surrogateKey = surrogateKey.map { $0 + " " + field.value } ?? field.value
            case .eTag: eTag = field.value
            case .lastModified: lastModified = field.value
            case .setCookie: setsCookie = true
            default: continue
            }
        }
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
