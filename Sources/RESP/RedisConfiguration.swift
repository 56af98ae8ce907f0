/// Where a Redis server is and how to talk to it: address, credentials, database, protocol,
/// pool size and time limits.
///
/// Usually made from a URL:
/// ```swift
/// var configuration = try RedisConfiguration(url: "redis://app:secret@cache:6379/2")
/// configuration.pool.maximumConnections = 16
/// ```
public struct RedisConfiguration: Sendable, Equatable {
    /// Which protocol version to ask for.
    public enum ProtocolVersion: Sendable, Equatable {
        /// Send `HELLO 3`; if the server does not know HELLO (Redis before 6), use RESP2.
        case resp3
        /// Use RESP2 without asking (authenticating with AUTH).
        case resp2
    }

    /// Limits of the connection pool of a ``RedisClient``.
    public struct Pool: Sendable, Equatable {
        /// The most connections open at once, leased or idle.
        public var maximumConnections: Int
        /// How long a caller waits for a free connection when all are leased.
        public var leaseTimeout: Duration

        /// Creates pool limits.
        public init(maximumConnections: Int = 8, leaseTimeout: Duration = .seconds(5)) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            self.maximumConnections = maximumConnections
            self.leaseTimeout = leaseTimeout
        }
    }

    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The ACL user name; `nil` authenticates as the `default` user when a password is set.
    public var username: String?
    /// The password; `nil` for a server without authentication.
    public var password: String?
    /// The logical database selected on every connection.
    public var database: Int
    /// The protocol version to ask for.
    public var protocolVersion: ProtocolVersion
    /// A name the server shows for each connection in `CLIENT LIST`.
    public var clientName: String?
    /// How long establishing a TCP connection may take.
    public var connectTimeout: Duration
    /// How long a command (or a pipeline, as a whole) may wait for its reply by default.
    public var commandTimeout: Duration
    /// Pool limits.
    public var pool: Pool

    /// Creates a configuration from its parts.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        protocolVersion: ProtocolVersion = .resp3,
        clientName: String? = nil,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        pool: Pool = Pool()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.protocolVersion = protocolVersion
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.pool = pool
    }
}
