public import Hummingbird
public import Security
import NIOCore

/// The request context of every Emporium route: Hummingbird's core storage plus the request id.
public struct EmporiumRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's `X-Request-Id`, kept from the client or generated; set by ``RequestIdMiddleware``.
    public var requestID: String = ""
    /// Who the request acts for, when it carried a valid access token; set by
    /// ``AuthenticationMiddleware``.
    public var principal: Principal?
    /// Why the request's `Authorization` header was refused, when it carried one that is not a
    /// valid access token; set by ``AuthenticationMiddleware``. The request goes on anonymous:
    /// routes that need no user ignore it, ``requirePrincipal()`` answers 401 with this reason.
    public var authenticationFailure: AuthenticationFailure?
    /// The IP address of the client: the peer that sent the request (`unknown` when the
    /// transport has none), or behind proxies named in `http.trustedProxies`, the address they
    /// forwarded for (``ClientAddressMiddleware``). Login throttling and rate limits key on it.
    public var clientAddress: String {
        get { forwardedClientAddress ?? peerAddress }
        set { forwardedClientAddress = newValue }
    }
    /// The client's address as trusted proxies forwarded it, when they did.
    private var forwardedClientAddress: String?
    /// The IP address of the peer that sent the request, a proxy's or the client's: read from
    /// the connection when asked (most requests never ask; formatting it costs a string).
    public var peerAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }
    /// The connection the request came on.
    private let channel: any Channel
    /// Whether the peer is a proxy named in `http.trustedProxies`, whose `X-Forwarded-*` headers
    /// are believed.
    public var peerIsTrustedProxy = false
    /// The Emporium service that made this request, on `/internal/` routes whose service
    /// credential verified; set by ``InternalCallMiddleware``, nil everywhere else.
    public var callingService: String?


    /// The largest request body accepted, in bytes; larger bodies get a 413 problem.
    public static let maxBodySize = 1 << 20

    public var maxUploadSize: Int { Self.maxBodySize }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// The router type every service registers its routes on.
public typealias EmporiumRouter = Router<EmporiumRequestContext>
