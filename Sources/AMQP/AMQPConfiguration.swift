/// Where and how to connect to an AMQP 0-9-1 broker.
public struct AMQPConfiguration: Sendable, Hashable {
    /// Broker host name or IP address.
    public var host: String
    /// Broker port (5672 by default).
    public var port: Int
    /// User name for PLAIN authentication.
    public var user: String
    /// Password for PLAIN authentication.
    public var password: String
    /// Virtual host ("/" by default).
    public var virtualHost: String
    /// Heartbeat interval to propose; `.zero` asks for none. The broker's and this value
    /// are negotiated: the lower of the two, or the non-zero one when one is zero.
    public var heartbeat: Duration
    /// Largest frame to propose, in bytes (the broker's limit wins when lower).
    public var frameMax: UInt32
    /// Most channels to propose (the broker's limit wins when lower).
    public var channelMax: UInt16
    /// Time allowed for the TCP connect and, separately, for the AMQP handshake.
    public var connectTimeout: Duration
    /// Time allowed for the broker to answer a synchronous method (declare, bind, open...).
    public var operationTimeout: Duration
    /// Name shown for this connection in the broker's management UI and logs.
    public var connectionName: String?
    /// What to do when an established connection drops.
    public var reconnect: AMQPReconnectPolicy

    /// A configuration with the given values and defaults for the rest.
    public init(
        host: String = "localhost",
        port: Int = 5672,
        user: String = "guest",
        password: String = "guest",
        virtualHost: String = "/",
        heartbeat: Duration = .seconds(60),
        frameMax: UInt32 = 131_072,
        channelMax: UInt16 = 2047,
        connectTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(30),
        connectionName: String? = nil,
        reconnect: AMQPReconnectPolicy = .default
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeat = heartbeat
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.connectTimeout = connectTimeout
        self.operationTimeout = operationTimeout
        self.connectionName = connectionName
        self.reconnect = reconnect
    }

    /// Parses `amqp://user:password@host:port/vhost?heartbeat=10&connection_timeout=5000`.
    ///
    /// User, password and vhost are percent-decoded (`%2F` is `/`). Missing parts take the
    /// defaults: guest/guest, localhost, port 5672, vhost "/" (also for an empty path, so
    /// `amqp://host/` means "/"). Query parameters `heartbeat` (seconds),
    /// `connection_timeout` (milliseconds), `channel_max` and `frame_max` are understood;
    /// others are ignored. `amqps` (TLS) is not supported.
    /// - Throws: ``AMQPError/invalidURL(_:reason:)``.
    public init(url: String) throws(AMQPError) {
        self.init()
        try AMQPURLParser.parse(url, into: &self)
    }

    /// "host:port", as errors and logs name the broker.
    public var brokerAddress: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
