import EmporiumKit
import HTTPTypes
import Hummingbird

/// CORS at the edge (``CORSPolicy``), before rate limits and tokens: a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) is answered here, 204 for an allowed origin and a 403 problem
/// for another, and never passed on; every other answer to an allowed origin, errors included,
/// carries `Access-Control-Allow-Origin` and the exposed headers. With CORS on, every answer
/// says `Vary: Origin`, so that a shared cache does not hand one origin's answer to another.
struct GatewayCORSMiddleware: RouterMiddleware {
    typealias Context = EmporiumRequestContext
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else {
            var response = try await next(request, context)
            response.headers.append(HTTPField(name: .vary, value: "Origin"))
            return response
        }
        let allowed = policy.allows(origin: origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else {
                throw ProblemDetails(
                    type: ProblemDetails.typeBase + "forbidden", title: "The request is not allowed.", status: .forbidden,
                    detail: "Pages of the origin \(origin) may not call this API (gateway.cors.allowedOrigins).")
            }
            var headers = policy.preflightHeaders(origin: origin)
            headers.append(HTTPField(name: .vary, value: "Origin"))
            return Response(status: .noContent, headers: headers)
        }
        var headers = allowed ? policy.answerHeaders(origin: origin) : HTTPFields()
        headers.append(HTTPField(name: .vary, value: "Origin"))
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch {
            throw ErrorWithHeaders(error, headers: headers)
        }
    }
}
