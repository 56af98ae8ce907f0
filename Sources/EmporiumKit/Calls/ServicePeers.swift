/// The services another service calls, as the runtime hands them over: the service itself when it
/// runs in this process, else a ``RemoteService`` for the contract's HTTP client.
///
/// Only the runtime's service table uses it, when it makes a service:
///
/// ```swift
/// CartService(environment: env, catalog: try env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init))
/// ```
///
/// The service receives the contract's protocol and never knows which one it got.
public struct ServicePeers: Sendable {
    private let local: [String: any EmporiumService]
    private let remote: @Sendable (String) -> RemoteService

    /// - Parameters:
    ///   - local: The services already made in this process, by name.
    ///   - remote: The transport to a service that runs elsewhere.
    public init(local: [String: any EmporiumService], remote: @escaping @Sendable (String) -> RemoteService) {
        self.local = local
        self.remote = remote
    }

    /// No peers: every remote call fails as unavailable (a service that calls nobody, or a
    /// maintenance command that makes no calls).
    public static let none = ServicePeers(local: [:]) { name in RemoteService.unconfigured(name) }

    /// Service `name` as `API`: the local service when it runs in this process, else
    /// `remote(transport)`.
    public func api<API>(_ name: String, as type: API.Type, remote makeRemote: (RemoteService) -> API) -> API {
        if let service = local[name] {
            guard let api = service as? API else {
                preconditionFailure("the \(name) service does not conform to \(API.self)")
            }
            return api
        }
        return makeRemote(try remote(name))
    }

    /// Whether `name` runs in this process.
    public func isLocal(_ name: String) -> Bool { local[name] != nil }
}
