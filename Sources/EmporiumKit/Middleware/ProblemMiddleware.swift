import Foundation
public import Hummingbird
import Logging
import NIOCore

/// Turns every error thrown below it into an RFC 9457 `application/problem+json` response.
///
/// - ``ProblemDetails`` are written as they are, with `instance` and `requestId` filled in; a
///   ``ProblemConvertible`` error (a service's domain error) as its ``ProblemConvertible/problem``.
/// - Hummingbird's 404 becomes 405 (with `Allow`) when the path exists with other methods.
/// - A body over the limit is 413; undecodable JSON is 400 naming the field.
/// - Anything else is a 500 whose detail hides internals; the error itself is logged.
/// - The headers of an ``ErrorWithHeaders`` go with the problem of the error it wraps.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let routes: RouteTable

    public init(routes: RouteTable) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var extraHeaders: HTTPFields = [:]
            var problem = problem(for: error, request: request, context: context, extraHeaders: &extraHeaders)
            problem.instance = request.uri.path
            problem.requestId = context.requestID.isEmpty ? nil : context.requestID
            return problem.response(headers: extraHeaders)
        }
    }

    private func problem(for error: any Error, request: Request, context: Context, extraHeaders: inout HTTPFields) -> ProblemDetails {
        switch error {
        case let decorated as ErrorWithHeaders:
            let problem = problem(for: decorated.error, request: request, context: context, extraHeaders: &extraHeaders)
            for field in decorated.headers { extraHeaders.append(field) }
            return problem
        case let problem as ProblemDetails:
            return problem
        case let convertible as any ProblemConvertible:
            return convertible.problem
        case let failure as AuthenticationFailure:
            extraHeaders[.wwwAuthenticate] = failure.challenge
            return failure.problem
        case let error as DecodingError:
            return ProblemDetails(decodingError: error)
        case is NIOTooManyBytesError:
            return .bodyTooLarge(limit: context.maxUploadSize)
        case let error as HTTPError:
            switch error.status {
            case .notFound:
                let allowed = routes.allowedMethods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    extraHeaders[.allow] = allowed.joined(separator: ", ")
                    return .methodNotAllowed(request.method.rawValue, allowed: allowed)
                }
                return .notFound(error.body ?? "No route matches \(request.method.rawValue) \(request.uri.path).")
            case .contentTooLarge:
                return .bodyTooLarge(limit: context.maxUploadSize)
            default:
                // Its headers (`Retry-After`, `RateLimit-*`) go with the problem; the body's own do not.
                for field in error.headers where field.name != .contentType && field.name != .contentLength {
                    extraHeaders.append(field)
                }
                return .status(error.status, detail: error.body)
            }
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError()
        }
    }
}
