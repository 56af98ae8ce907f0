public import AsyncHTTPClient
import NIOCore
public import ServiceLifecycle
import Synchronization

/// The HTTP client of one process's calls to other services (and of the gateway's requests to
/// them), run as a `Service` of the process.
///
/// A refused connection fails the call at once (no retries until the deadline), so a stopped
/// callee is a prompt 503. The client is made at the first call and shut down when the process
/// stops, after everything that may call through it; a process that never calls never makes one.
public final class ServiceCallClient: Service, Sendable {
    private enum State {
        case idle
        case running(HTTPClient)
        case closed
    }

    private let state = Mutex(State.idle)
    private let connectTimeout: Duration
    private let readTimeout: Duration?
    private let connectionsPerHost: Int?

    /// - Parameters:
    ///   - connectTimeout: The longest a new connection may take.
    ///   - readTimeout: The longest an answer may pause (AsyncHTTPClient's default when nil).
    ///   - connectionsPerHost: How many connections to one host are kept (AsyncHTTPClient's
    ///     default, 8, when nil; the gateway keeps more).
    public init(connectTimeout: Duration, readTimeout: Duration? = nil, connectionsPerHost: Int? = nil) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.connectionsPerHost = connectionsPerHost
    }

    /// The client, made on first use.
    /// - Throws: ``ServiceUnavailableError`` once the process is stopping.
    public func client() throws -> HTTPClient {
        try state.withLock { state in
            switch state {
            case .running(let client):
                return client
            case .idle:
                var configuration = HTTPClient.Configuration()
                configuration.connectionPool.retryConnectionEstablishment = false
                configuration.timeout.connect = .init(connectTimeout)
                configuration.redirectConfiguration = .disallow
                configuration.decompression = .disabled
                if let readTimeout { configuration.timeout.read = .init(readTimeout) }
                if let connectionsPerHost { configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost }
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                state = .running(client)
                return client
            case .closed:
                throw ServiceUnavailableError(service: "callee", reason: "this process is stopping")
            }
        }
    }

    /// Waits for the process to stop, then shuts the client down.
    public func run() async throws {
        try? await gracefulShutdown()
        let client = state.withLock { state -> HTTPClient? in
            defer { state = .closed }
            if case .running(let client) = state { return client }
            return nil
        }
        try await client?.shutdown()
    }
}
