public import HTTPTypes
public import Hummingbird

extension HTTPField.Name {
    /// `X-Forwarded-For`: the addresses a request came through, the client's first.
    public static let xForwardedFor = Self("X-Forwarded-For")!
    /// `X-Forwarded-Proto`: the scheme the client used (`https` where a proxy in front ended TLS).
    public static let xForwardedProto = Self("X-Forwarded-Proto")!
    /// `X-Forwarded-Host`: the host the client sent its request to.
    public static let xForwardedHost = Self("X-Forwarded-Host")!
}

/// Sets ``EmporiumRequestContext/clientAddress`` from `X-Forwarded-For` when the peer is a
/// trusted proxy (``TrustedProxies``); added only when `http.trustedProxies` names any.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let proxies: TrustedProxies

    public init(proxies: TrustedProxies) {
        self.proxies = proxies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard proxies.trusts(context.peerAddress) else { return try await next(request, context) }
        var context = context
        context.peerIsTrustedProxy = true
        let forwarded = request.headers[values: .xForwardedFor]
        if !forwarded.isEmpty {
            context.clientAddress = proxies.clientAddress(peer: context.peerAddress, forwardedFor: forwarded.map { Substring($0) })
        }
        return try await next(request, context)
    }
}
