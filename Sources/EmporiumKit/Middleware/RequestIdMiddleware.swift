public import HTTPTypes
public import Hummingbird
import Logging

extension HTTPField.Name {
    /// `X-Request-Id`: correlates a request with its log line and its problem responses.
    public static let requestID = Self("X-Request-Id")!
    /// W3C trace context.
    public static let traceparent = Self("traceparent")!
}

/// Keeps the client's `X-Request-Id` when it is sensible (1–128 visible ASCII characters) or
/// generates one, stores it in the context and the logger, and echoes it on the response.
public struct RequestIdMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? IdentifierGenerator.uuidString()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return value
    }
}
