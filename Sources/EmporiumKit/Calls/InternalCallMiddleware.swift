public import HTTPTypes
public import Hummingbird
import Foundation
import NIOCore
import NIOFoundationCompat
public import Security

/// Guards every `/internal/` route: a request there must carry a ``ServiceCredential`` that
/// verifies for exactly this call (method, path with query, body, within the clock skew), or it
/// is a 401 problem and no handler runs. The caller's name goes to
/// ``EmporiumRequestContext/callingService``.
///
/// `/internal/` routes are how services call each other when they run in separate processes;
/// the gateway never routes them. Other paths pass through untouched.
public struct InternalCallMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    /// The path prefix of every service-to-service route.
    public static let pathPrefix = "/internal/"

    private let credential: ServiceCredential
    private let now: @Sendable () -> Date

    public init(credential: ServiceCredential, now: @escaping @Sendable () -> Date = { Date() }) {
        self.credential = credential
        self.now = now
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(Self.pathPrefix) else { return try await next(request, context) }
        guard let header = request.headers[.serviceCredential] else { throw Self.refusal(.missing) }
        // The body is part of what was signed: read it (bounded), check it, hand it on.
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let caller: String
        do throws(ServiceCredentialError) {
            caller = try credential.verify(
                header, method: request.method.rawValue, target: request.head.path ?? request.uri.description,
                body: body.readableBytesView, now: now())
        } catch {
            throw Self.refusal(error)
        }
        var request = request
        request.body = .init(buffer: body)
        var context = context
        context.callingService = caller
        return try await next(request, context)
    }

    static func refusal(_ error: ServiceCredentialError) -> ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "service-credential",
            title: "This route is for Emporium services only.",
            status: .unauthorized,
            detail: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst())."
        )
    }
}

extension HTTPField.Name {
    /// `Emporium-Service-Credential`: see ``ServiceCredential``.
    public static let serviceCredential = Self(ServiceCredential.headerName)!
}
