import Synchronization

/// Where this process's HTTP server listens, known once it is bound (the port may be chosen by
/// the system): `http://127.0.0.1:8080`. A server bound to every address (`0.0.0.0`, `::`) is
/// reached on loopback.
public final class ProcessAddress: Sendable {
    private let url = Mutex<String?>(nil)

    public init() {}

    /// The base URL, nil until the server is bound.
    public var baseURL: String? { url.withLock { $0 } }

    /// Records the bound address.
    public func bound(host: String, port: Int) {
        let reachable = switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::": "::1"
        default: host
        }
        let hostPart = reachable.contains(":") ? "[\(reachable)]" : reachable
        url.withLock { $0 = "http://\(hostPart):\(port)" }
    }
}
