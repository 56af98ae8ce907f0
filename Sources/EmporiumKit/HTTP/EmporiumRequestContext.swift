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
    /// The IP address of the peer that sent the request (`unknown` when the transport has none).
    /// Behind a proxy this is the proxy's address; login throttling keys on it.
    public var clientAddress: String


    /// The largest request body accepted, in bytes; larger bodies get a 413 problem.
    public static let maxBodySize = 1 << 20

    public var maxUploadSize: Int { Self.maxBodySize }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// The router type every service registers its routes on.
public typealias EmporiumRouter = Router<EmporiumRequestContext>
