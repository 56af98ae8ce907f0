public import Hummingbird
import Foundation
import Logging

/// Writes one log line per request: request id, method, route template, status and duration.
///
/// The route is the matched template (`/v1/products/{id}`), never the raw path, so logs group by
/// endpoint and carry no identifiers from the URL.
public struct RequestLogMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(context.endpointPath ?? "unmatched"),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.3f", milliseconds)),
            ]
        )
        return response
    }
}
