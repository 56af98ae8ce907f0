import EmporiumKit
import HTTPTypes
import Hummingbird
import Security

/// The gateway at the edge of the process, before calls between services are verified and
/// tokens read: paths under `/internal/` are a 404 for anyone but another service (a request
/// with a service credential, verified next, that only ever reaches this process's own routes),
/// and a body announced larger than the limit is a 413 before a byte of it is read.
struct GatewayEdgeMiddleware: RouterMiddleware {
    typealias Context = EmporiumRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if GatewayRoutes.isInternal(request.uri.path), request.headers[.serviceCredential] == nil {
            throw ProblemDetails(
                type: ProblemDetails.typeBase + "not-found", title: "Not found.", status: .notFound,
                detail: "There is no such resource.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
            throw UpstreamProxy.tooLarge(maxBodyBytes)
        }
        return try await next(request, context)
    }
}

/// The gateway in front of the routes, once the access token is read.
///
/// - An operation that needs an access token (``AccessRequirements``) without a valid one is a
///   401 here, whichever process serves it: no upstream sees an expired or forged token; with a
///   token whose roles grant none of the permissions it needs, a 403.
/// - A token the process refused, on an operation that needs none, is not passed on.
/// - A request for a service that runs in another process goes to one of its instances
///   (``UpstreamProxy``), its metrics and log line naming the route template of the operation
///   the documents describe for it (`unmatched` for a path none describes); one that runs here
///   goes on to its own routes; one that neither runs here nor has instances configured is a
///   503 naming the key.
struct GatewayProxyMiddleware: RouterMiddleware {
    typealias Context = EmporiumRequestContext
    let routes: GatewayRoutes
    let requirements: AccessRequirements
    let proxy: UpstreamProxy
    /// The routed services that run in this process.
    let local: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard let service = routes.service(for: path) else { return try await next(request, context) }
        let (requirement, route) = requirements.operation(method: request.method.rawValue, path: path)
        // What goes to another process is counted and logged under its operation's route
        // template, as the service itself counts it (no route matched it in this process).
        if let route, !local.contains(service) { context.coreContext.endpointPath.value = route }
        if requirement.needsToken {
            guard let principal = context.principal else {
                throw context.authenticationFailure ?? AuthenticationFailure(reason: "this route needs an access token")
            }
            guard requirement.allows(principal) else { throw Self.forbidden(requirement, principal: principal) }
        }
        if local.contains(service) { return try await next(request, context) }
        guard Self.forwardedMethods.contains(request.method) else {
            // TRACE, CONNECT and methods no service knows are never sent on (a TRACE with a body is
            // refused by the HTTP client, and must not count against an instance): a 405 naming
            // what the path allows, as a service would answer, or a 404 for a path none describes.
            let allowed = requirements.documentedMethods(path: path)
            guard !allowed.isEmpty else { throw HTTPError(.notFound) }
            throw ErrorWithHeaders(ProblemDetails.methodNotAllowed(request.method.rawValue, allowed: allowed), headers: [.allow: allowed.joined(separator: ", ")])
        }
        guard proxy.proxies(service) else {
            throw UpstreamProxy.unavailable(service, reason: "this gateway has no instance of it (services.\(service).url is not set)")
        }
        var request = request
        if context.authenticationFailure != nil {
            var head = request.head
            head.headerFields[.authorization] = nil
            request = Request(head: head, body: request.body)
        }
        return try await proxy.forward(request, context: context, to: service)
    }

    /// The methods passed on to the services.
    static let forwardedMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The 403 of a token whose roles grant none of the alternatives (the services' wording).
    static func forbidden(_ requirement: AccessRequirements.Requirement, principal: Principal) -> ProblemDetails {
        let needed = requirement.permissions.map { $0.map(\.rawValue).sorted().joined(separator: " and ") }
        let roles = principal.roles.map(\.rawValue).sorted().joined(separator: ", ")
        return ProblemDetails(
            type: ProblemDetails.typeBase + "forbidden", title: "The request is not allowed.", status: .forbidden,
            detail: needed.isEmpty
                ? "No role grants this operation."
                : "This needs the permission \(needed.joined(separator: " or ")), which your roles (\(roles)) do not grant.")
    }
}
