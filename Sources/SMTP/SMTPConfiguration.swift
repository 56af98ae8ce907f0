/// Where an SMTP server is and how to talk to it: address, TLS, credentials, pool size and time
/// limits.
///
/// Usually made from a URL:
/// ```swift
/// var configuration = try SMTPConfiguration(url: "smtp://mailer:secret@smtp.example.com:587")
/// configuration.tls.trustRoots = .file("/etc/emporium/smtp-ca.pem")
/// ```
public struct SMTPConfiguration: Sendable, Equatable {
    /// Whether and how the connection is encrypted.
    public enum Security: Sendable, Equatable {
        /// TLS from the first byte (`smtps://`, usually port 465).
        case implicitTLS
        /// Plain connection upgraded with `STARTTLS`; fails with ``SMTPError/startTLSNotOffered``
        /// when the server does not offer it (`starttls=required`).
        case startTLS
        /// `STARTTLS` when the server offers it, plain text otherwise, or when it answers
        /// `STARTTLS` with a `4xx` (`starttls=opportunistic`, the default). Credentials are never
        /// sent unencrypted in this mode: with credentials configured a server without `STARTTLS`
        /// fails with ``SMTPError/startTLSNotOffered``.
        case startTLSIfAvailable
        /// Never encrypt (`starttls=never`), credentials included: for a local test server.
        case plaintext
    }

    /// How the server's certificate is checked.
    public struct TLS: Sendable, Equatable {
        /// Which certificate authorities are trusted.
        public enum TrustRoots: Sendable, Equatable {
            /// The system's default trust store.
            case system
            /// The certificates of a PEM file (such as a private CA, or a test server's own).
            case file(String)
        }

        /// How much of the server's certificate is verified.
        public enum Verification: Sendable, Equatable {
            /// The chain up to a trusted root, and that the certificate names the host. The default.
            case full
            /// The chain only, whatever host the certificate names.
            case noHostnameVerification
            /// Nothing: anyone in the middle can read the mail and the password. Tests only.
            case none
        }

        /// Which certificate authorities are trusted; the system's by default.
        public var trustRoots: TrustRoots
        /// How much is verified; everything by default.
        public var verification: Verification
        /// The name the certificate must carry and that is sent with SNI; the configured host
        /// when `nil` (for an IP address, the certificate must list that address).
        public var serverName: String?

        /// Creates TLS settings.
        public init(trustRoots: TrustRoots = .system, verification: Verification = .full, serverName: String? = nil) {
            self.trustRoots = trustRoots
            self.verification = verification
            self.serverName = serverName
        }
    }

    /// Limits of the connection pool of an ``SMTPClient``.
    public struct Pool: Sendable, Equatable {
        /// The most connections open at once, in use or idle.
        public var maximumConnections: Int
        /// How long a message waits for a free connection when all are in use.
        public var leaseTimeout: Duration
        /// How long an idle connection is kept for the next message; older ones are closed
        /// (servers drop idle sessions after a few minutes anyway).
        public var maximumIdleTime: Duration

        /// Creates pool limits.
        public init(maximumConnections: Int = 4, leaseTimeout: Duration = .seconds(30), maximumIdleTime: Duration = .seconds(60)) {
            precondition(maximumConnections > 0, "a pool needs at least one connection")
            self.maximumConnections = maximumConnections
            self.leaseTimeout = leaseTimeout
            self.maximumIdleTime = maximumIdleTime
        }
    }

    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The user name for `AUTH`; `nil` sends mail without authenticating.
    public var username: String?
    /// The password for `AUTH`.
    public var password: String?
    /// Whether and how the connection is encrypted.
    public var security: Security
    /// How the server's certificate is checked.
    public var tls: TLS
    /// The name this client gives in `EHLO`; the machine's host name when `nil`.
    public var clientName: String?
    /// How long establishing a TCP connection may take.
    public var connectTimeout: Duration
    /// How long each reply may take (including the one after the message's data).
    public var commandTimeout: Duration
    /// Pool limits.
    public var pool: Pool

    /// Creates a configuration from its parts.
    public init(
        host: String = "127.0.0.1",
        port: Int = 587,
        username: String? = nil,
        password: String? = nil,
        security: Security = .startTLSIfAvailable,
        tls: TLS = TLS(),
        clientName: String? = nil,
        connectTimeout: Duration = .seconds(10),
        commandTimeout: Duration = .seconds(60),
        pool: Pool = Pool()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.security = security
        self.tls = tls
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.pool = pool
    }

    /// Whether credentials are configured.
    var hasCredentials: Bool { self.username != nil }
}
