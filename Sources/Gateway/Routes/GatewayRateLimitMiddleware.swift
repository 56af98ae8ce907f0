import Caching
import EmporiumKit
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Security

/// Limits the rate of requests to the services, per signed-in user (the token's subject) or, for
/// anonymous requests, per client address, with token buckets (``RateLimiter``: in Redis when the
/// process has one, shared by every gateway instance; else in this process).
///
/// Every answer of a limited route carries `RateLimit-Limit`, `RateLimit-Remaining` and
/// `RateLimit-Reset`; over the limit it is a 429 with `Retry-After`, and nothing is passed on. The
/// process's own routes (`/health/…`, `/metrics`, `/openapi.json`) are not limited. When the
/// shared store fails, requests go through (logged): a Redis outage must not stop the shop.
/// Each 429 is counted in `emporium_gateway_rate_limited_total{limit}` (``RefusalCounters``).
struct GatewayRateLimitMiddleware: RouterMiddleware {
    typealias Context = EmporiumRequestContext
    let routes: GatewayRoutes
    let perUser: (any RateLimiter)?
    let perAddress: (any RateLimiter)?
    let refusals: RefusalCounters
    let logger: Logger

    /// `emporium_gateway_rate_limited_total{limit}`: requests refused over the limit per signed-in
    /// user (`user`) or per client address (`address`), both made when the gateway is.
    struct RefusalCounters: Sendable {
        let user: Counter
        let address: Counter

        init(factory: any MetricsFactory) {
            user = Counter(label: "emporium_gateway_rate_limited_total", dimensions: [("limit", "user")], factory: factory)
            address = Counter(label: "emporium_gateway_rate_limited_total", dimensions: [("limit", "address")], factory: factory)
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard routes.service(for: request.uri.path) != nil else { return try await next(request, context) }
        let principal = context.principal
        // The key is made only for a limit that is on (it reads the client's address).
        guard let limiter = principal == nil ? perAddress : perUser else { return try await next(request, context) }
        let key = principal.map { "user:\($0.subject)" } ?? "address:\(context.clientAddress)"
        let decision: RateLimitDecision
        do {
            decision = try await limiter.acquire(key)
        } catch {
            logger.warning("rate limit store unavailable; letting the request through", metadata: ["error": "\(error)"])
            return try await next(request, context)
        }
        let headers: HTTPFields = [
            .rateLimitLimit: "\(decision.limit)", .rateLimitRemaining: "\(decision.remaining)", .rateLimitReset: "\(decision.resetSeconds)",
        ]
        guard decision.isAllowed else {
            var refused = headers
            refused[.retryAfter] = "\(max(1, decision.retryAfterSeconds))"
            (context.principal == nil ? refusals.address : refusals.user).increment()
            let whose = context.principal == nil ? "from your address" : "for your account"
            throw HTTPError(
                .tooManyRequests, headers: refused,
                message: "Too many requests \(whose); try again in \(max(1, decision.retryAfterSeconds)) seconds.")
        }
        var response = try await next(request, context)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}
