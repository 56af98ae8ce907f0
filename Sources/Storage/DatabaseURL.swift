import Foundation

/// Where a service's database lives, parsed from a URL.
///
/// - `postgres://user:password@host:5432/database` (also `postgresql://`): a PostgreSQL server.
///   `?sslmode=disable` is the only TLS mode supported so far; the connection is plain TCP.
/// - `sqlite:///absolute/path/catalog.sqlite` or `sqlite:relative/path.sqlite`: an embedded SQLite file.
/// - `sqlite::memory:`: an in-memory SQLite database (tests only; it vanishes with the process).
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// A PostgreSQL server.
    case postgres(PostgresEndpoint)
    /// An SQLite database file at `path`, or in memory when `path` is `nil`.
    case sqlite(path: String?)

    /// The connection details of a PostgreSQL server.
    public struct PostgresEndpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String

        public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
        }
    }

    /// Parses a database URL; the error names what is wrong with it.
    public init(parsing string: String) throws(DatabaseURLError) {
        if string == "sqlite::memory:" {
            self = .sqlite(path: nil)
            return
        }
        if string.hasPrefix("sqlite:") {
            var path = String(string.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw DatabaseURLError(url: string, reason: "the SQLite file path is empty") }
            self = .sqlite(path: path.removingPercentEncoding ?? path)
            return
        }
        guard let components = URLComponents(string: string), let scheme = components.scheme else {
            throw DatabaseURLError(url: string, reason: "it is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError(url: string, reason: "unknown scheme '\(scheme)' (use postgres:// or sqlite:)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(url: string, reason: "the host is missing")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw DatabaseURLError(url: string, reason: "the database name is missing")
        }
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value, mode != "disable" {
            throw DatabaseURLError(url: string, reason: "sslmode=\(mode) is not supported yet (use sslmode=disable)")
        }
        self = .postgres(
            PostgresEndpoint(
                host: host,
                port: components.port ?? 5432,
                username: components.user?.removingPercentEncoding ?? "postgres",
                password: components.password?.removingPercentEncoding,
                database: database.removingPercentEncoding ?? database
            )
        )
    }

    /// The URL with its password, to hand to another process or configuration; never log it.
    public var connectionString: String {
        switch self {
        case .sqlite(let path?): return "sqlite:\(path)"
        case .sqlite(nil): return "sqlite::memory:"
        case .postgres(let endpoint):
            let user = endpoint.username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? endpoint.username
            let password = endpoint.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? $0) } ?? ""
            return "postgres://\(user)\(password)@\(endpoint.host):\(endpoint.port)/\(endpoint.database)"
        }
    }

    /// The URL with the password replaced by `***`, safe to log.
    public var description: String {
        switch self {
        case .sqlite(let path?): "sqlite:\(path)"
        case .sqlite(nil): "sqlite::memory:"
        case .postgres(let endpoint):
            "postgres://\(endpoint.username)\(endpoint.password == nil ? "" : ":***")@\(endpoint.host):\(endpoint.port)/\(endpoint.database)"
        }
    }
}

/// A database URL that could not be parsed.
public struct DatabaseURLError: Error, CustomStringConvertible, Equatable {
    /// The URL as given, with any password hidden.
    public var url: String
    /// What is wrong with it.
    public var reason: String

    init(url: String, reason: String) {
        self.url = Self.redacted(url)
        self.reason = reason
    }

    public var description: String { "invalid database URL '\(url)': \(reason)" }

    private static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
