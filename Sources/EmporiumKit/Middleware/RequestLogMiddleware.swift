public import EmporiumCore
public import Hummingbird
import Logging

/// Writes one log line per request (the access log): request id, method, route template, status
/// and duration.
///
/// The route is the matched template (`/v1/products/{id}`), never the raw path, so logs group by
/// endpoint and carry no identifiers from the URL.
public struct RequestLogMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.logger.logLevel <= .info else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "\(AccessLog.message)",
            metadata: [
                AccessLog.method: .string(request.method.rawValue),
                AccessLog.route: .string(context.endpointPath ?? "unmatched"),
                AccessLog.status: .string(String(response.status.code)),
                AccessLog.durationMilliseconds: .string(AccessLog.milliseconds(elapsed, decimals: 3)),
            ]
        )
        return response
    }
}

/// The fields of the access log line, shared by the middleware that writes it and the text
/// format that prints it short.
enum AccessLog {
    static let message = "request"
    static let method = "method"
    static let route = "route"
    static let status = "status"
    static let durationMilliseconds = "duration_ms"

    /// `GET /v1/products/{id} 200 0.2ms`, when the line has every access-log field.
    static func summary(_ metadata: LogMetadataLayers) -> String? {
        guard case .string(let method) = metadata[method], case .string(let route) = metadata[route],
            case .string(let status) = metadata[status], case .string(let duration) = metadata[durationMilliseconds]
        else { return nil }
        return "\(method) \(route) \(status) \(shortened(duration))ms"
    }

    /// `duration` in milliseconds with `decimals` digits after the point (`0.213`), formatted
    /// from integer microseconds, without `String(format:)`.
    static func milliseconds(_ duration: Duration, decimals: Int) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        bytes.append(contentsOf: String(microseconds / 1000).utf8)
        bytes.append(0x2E)
        var fraction: [UInt8] = []
        LogTimestamp.appendDigits(Int(microseconds % 1000), count: 3, to: &fraction)
        bytes.append(contentsOf: fraction.prefix(max(1, min(decimals, 3))))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `0.213` → `0.2`: one decimal is enough for a person.
    private static func shortened(_ milliseconds: String) -> Substring {
        guard let point = milliseconds.firstIndex(of: ".") else { return Substring(milliseconds) }
        return milliseconds[...milliseconds.index(after: point)]
    }
}
