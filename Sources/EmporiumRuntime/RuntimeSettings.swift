public import Configuration
public import EmporiumKit
public import Foundation
public import Logging
public import RESP
public import Storage
public import Security

/// Everything a process needs to start, read from configuration and validated up front.
///
/// Sources, highest precedence first: command-line flags, `EMPORIUM_*` environment variables, the
/// `--config` JSON file, built-in defaults. Every key is documented in `docs/configuration.md`.
public struct RuntimeSettings: Sendable {
    /// The services this process runs (`all` or a comma-separated list).
    public var services: String
    /// The address the HTTP server binds.
    public var host: String
    /// The HTTP port; 0 picks a free one.
    public var port: Int
    /// How long a client has to send a request head (`http.requestHeadTimeout`).
    public var requestHeadTimeout: Duration
    /// How long a client has, after a request head, to send the whole body (`http.requestBodyTimeout`).
    public var requestBodyTimeout: Duration
    /// How long a connection may send nothing outside a response (`http.idleTimeout`).
    public var idleTimeout: Duration
    /// The most HTTP connections open at once (`http.maxConnections`); nil: derived from the
    /// file-descriptor limit (``httpServerLimits(fileDescriptorLimit:)``).
    public var maxConnections: Int?
    /// The proxies whose `X-Forwarded-For` names the client (`http.trustedProxies`: addresses and
    /// CIDR ranges); none by default, so a client cannot choose its address.
    public var trustedProxies: TrustedProxies = .none
    /// Where embedded SQLite files (and later keys) live.
    public var dataDirectory: String
    /// The lowest log level written.
    public var logLevel: Logger.Level
    /// `json` (one object per line, for Loki), `text` (short lines for a person), or `auto`:
    /// text when standard output is a terminal, JSON otherwise.
    public var logFormat: LogFormat
    /// The largest PostgreSQL pool of one service.
    public var maxDatabaseConnections: Int
    /// Whether an empty embedded database is filled with demo data; nil: only when embedded.
    public var seedDemoData: Bool?
    /// The Redis server for caches and rate limits (`redis.url`); nil keeps them in memory.
    public var redis: RedisConfiguration?
    /// The event broker: RabbitMQ (`amqp://…`) or Kafka (`kafka://host:port[,host:port]`); nil:
    /// the in-process bus.
    public var brokerURL: String?
    /// Partitions of the Kafka events topic when the transport creates it (`broker.partitions`).
    public var brokerPartitions: Int
    /// Deliveries of an event to a consumer before it is dead-lettered.
    public var maxDeliveries: Int
    /// RabbitMQ: the most events of one type published in one message (`broker.eventsPerMessage`).
    public var brokerEventsPerMessage: Int
    /// How long caches keep an entry in process (`cache.l1TTL`, seconds).
    public var cacheL1TTL: Duration
    /// The `iss` of access tokens (`auth.issuer`).
    public var authIssuer: String
    /// The `aud` of access tokens (`auth.audience`).
    public var authAudience: String
    /// The bcrypt cost of new password hashes (`auth.bcryptCost`).
    public var bcryptCost: UInt8
    /// Where a process without the auth service fetches the token-verification keys
    /// (`auth.jwksURL`); nil: such a process refuses every token.
    public var authJWKSURL: String?
    /// The personal-data keys from `security.dataKeys`, `security.activeDataKey` and
    /// `security.indexKey`; nil: the embedded key file `<data dir>/keys.json`.
    public var configuredKeys: KeyMaterial?
    /// Explicit database URLs: by service name, and `""` for the shared `database.url`.
    var databaseURLs: [String: String]
    /// Read replica URLs (`<service>.database.readURL`, `database.readURL`), keyed like
    /// `databaseURLs`.
    var databaseReadURLs: [String: String]
    /// How long after a client's write its reads go to the primary rather than a read replica
    /// (`database.readYourWritesSeconds`).
    public var readYourWritesWindow: ReadYourWritesWindow
    /// Where each service listens when it does not run in this process (`services.<name>.url`,
    /// `http://catalog:8080`, or several instances separated by commas), by service name: the
    /// base URLs of calls to its `/internal/` routes, and of the gateway's upstreams.
    public var serviceURLs: [String: [String]]
    /// The secret every service of a deployment shares to sign and verify calls between them
    /// (`services.secret`, base64 of at least 32 bytes); nil: `<data dir>/service-secret`.
    public var serviceSecret: Data?
    /// The longest a call to another service may take before it is a 503 (`services.callTimeout`).
    public var serviceCallTimeout: Duration
    /// Where traces are exported and how many (`tracing.otlpEndpoint`, `tracing.sampleRatio`);
    /// nil: no endpoint, nothing exported.
    public var tracing: TracingSettings?
    /// How long shared caches may keep public reads (`edgeCache.maxAge`,
    /// `edgeCache.staleWhileRevalidate`, `edgeCache.staleIfError`; docs/caching.md).
    public var edgeCache: EdgeCachePolicy
    /// Where the edge cache is purged (`edgeCache.purge.kind`, `.url`, `.token`, `.attempts`).
    public var edgePurge: EdgePurgeSettings
    /// The configuration read, for the keys each service reads itself (``serviceSettings(for:)``).
    private let config: ConfigReader

    /// Log line formats.
    public enum LogFormat: String, Sendable {
        case json
        case text
        case auto
    }

    /// Built-in defaults.
    public static let defaults: [String: String] = [
        "services": "all",
        "http.host": "127.0.0.1",
        "http.port": "8080",
        "http.requestHeadTimeout": "10",
        "http.requestBodyTimeout": "30",
        "http.idleTimeout": "60",
        "data.dir": "./.emporium",
        "log.level": "info",
        "log.format": "auto",
        "database.maxConnections": "10",
        "database.readYourWritesSeconds": "5",
        "broker.maxDeliveries": "5",
        "broker.partitions": "6",
        "broker.eventsPerMessage": "256",
        "cache.l1TTL": "5",
        "auth.issuer": "emporium",
        "auth.audience": "emporium",
        "auth.bcryptCost": "12",
        "services.callTimeout": "5",
        "tracing.sampleRatio": "1",
        "edgeCache.maxAge": "60",
        "edgeCache.staleWhileRevalidate": "30",
        "edgeCache.staleIfError": "86400",
        "edgeCache.purge.kind": "none",
        "edgeCache.purge.attempts": "5",
    ]

    /// Reads and validates the settings.
    /// - Throws: ``ConfigurationError`` naming the key of the first invalid value.
    public init(config: ConfigReader, serviceNames: [String]) throws(ConfigurationError) {
        let settings = SettingsReader(config: config)
        self.config = config
        services = try settings.string("services")
        host = try settings.string("http.host")
        port = try settings.int("http.port", in: 0...65535)
        requestHeadTimeout = .seconds(try settings.int("http.requestHeadTimeout", in: 1...3600))
        requestBodyTimeout = .seconds(try settings.int("http.requestBodyTimeout", in: 1...3600))
        idleTimeout = .seconds(try settings.int("http.idleTimeout", in: 1...86_400))
        maxConnections = try settings.optionalInt("http.maxConnections", in: 1...10_000_000)
        if let list = settings.optionalString("http.trustedProxies") {
            switch TrustedProxies.parse(list) {
            case .success(let proxies): trustedProxies = proxies
            case .failure(let error):
                throw ConfigurationError(
                    key: "http.trustedProxies",
                    reason: "\"\(error.entry)\" is no IP address or CIDR range (10.0.0.0/8, fd00::/8, 127.0.0.1)")
            }
        }
        dataDirectory = try settings.string("data.dir")
        guard let level = Logger.Level(rawValue: try settings.string("log.level")) else {
            throw ConfigurationError(key: "log.level", reason: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        guard let format = LogFormat(rawValue: try settings.string("log.format")) else {
            throw ConfigurationError(key: "log.format", reason: "must be auto, json or text")
        }
        logFormat = format
        maxDatabaseConnections = try settings.int("database.maxConnections", in: 1...1000)
        seedDemoData = try settings.optionalBool("seed.demo")
        brokerURL = settings.optionalString("broker.url")
        if let brokerURL, !(brokerURL.hasPrefix("amqp://") || brokerURL.hasPrefix("kafka://")) {
            throw ConfigurationError(
                key: "broker.url",
                reason: "must be an amqp://user:password@host:port/vhost (RabbitMQ) or kafka://host:port[,host:port] (Kafka) URL")
        }
        brokerPartitions = try settings.int("broker.partitions", in: 1...10_000)
        maxDeliveries = try settings.int("broker.maxDeliveries", in: 1...1000)
        brokerEventsPerMessage = try settings.int("broker.eventsPerMessage", in: 1...10_000)
        cacheL1TTL = .seconds(try settings.int("cache.l1TTL", in: 1...86_400))
        authIssuer = try settings.string("auth.issuer")
        authAudience = try settings.string("auth.audience")
        bcryptCost = UInt8(try settings.int("auth.bcryptCost", in: 4...31))
        authJWKSURL = settings.optionalString("auth.jwksURL")
        if let url = authJWKSURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
            throw ConfigurationError(key: "auth.jwksURL", reason: "must be an http:// or https:// URL such as http://auth:8080/.well-known/jwks.json")
        }
        configuredKeys = try Self.keyMaterial(settings)
        databaseURLs = Self.perService("database.url", settings, serviceNames: serviceNames)
        databaseReadURLs = Self.perService("database.readURL", settings, serviceNames: serviceNames)
        readYourWritesWindow = ReadYourWritesWindow(seconds: try settings.int("database.readYourWritesSeconds", in: 1...3600))
        var serviceURLs: [String: [String]] = [:]
        for name in serviceNames {
            let key = "services.\(name).url"
            guard let raw = settings.optionalString(key) else { continue }
            let urls = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for url in urls {
                guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil,
                    parsed.path.isEmpty || parsed.path == "/", parsed.query == nil
                else {
                    throw ConfigurationError(
                        key: key,
                        reason: "must be the service's http:// or https:// base URL, without a path, such as http://\(name):8080 (several instances: separated by commas)")
                }
            }
            serviceURLs[name] = urls
        }
        self.serviceURLs = serviceURLs
        if let secret = settings.optionalString("services.secret") {
            guard let data = Data(base64Encoded: secret), data.count >= ServiceCredential.minimumSecretLength else {
                throw ConfigurationError(key: "services.secret", reason: "must be base64 of at least \(ServiceCredential.minimumSecretLength) random bytes (openssl rand -base64 32)")
            }
            serviceSecret = data
        }
        serviceCallTimeout = .milliseconds(try settings.int("services.callTimeout", in: 1...300) * 1000)
        tracing = try TracingSettings(settings)
        edgeCache = EdgeCachePolicy(
            maxAge: try settings.int("edgeCache.maxAge", in: 0...EdgeCachePolicy.immutableMaxAge),
            staleWhileRevalidate: try settings.int("edgeCache.staleWhileRevalidate", in: 0...EdgeCachePolicy.immutableMaxAge),
            staleIfError: try settings.int("edgeCache.staleIfError", in: 0...EdgeCachePolicy.immutableMaxAge))
        edgePurge = try Self.edgePurge(settings)
        if let raw = settings.optionalString("redis.url") {
            do {
                redis = try RedisConfiguration(url: raw)
            } catch {
                throw ConfigurationError(key: "redis.url", reason: error.description)
            }
        }
    }

    /// The values of a database key set for every service (`database.url`, under `""`) and for
    /// one service (`catalog.database.url`, under `catalog`).
    private static func perService(_ key: String, _ settings: SettingsReader, serviceNames: [String]) -> [String: String] {
        var values: [String: String] = [:]
        if let shared = settings.optionalString(key) { values[""] = shared }
        for name in serviceNames {
            if let value = settings.optionalString("\(name).\(key)") { values[name] = value }
        }
        return values
    }

    /// `security.dataKeys` (`id:base64,id:base64`), `security.activeDataKey` (default: the first
    /// listed) and `security.indexKey` (base64), validated; nil when `security.dataKeys` is unset.
    private static func keyMaterial(_ settings: SettingsReader) throws(ConfigurationError) -> KeyMaterial? {
        guard let list = settings.optionalString("security.dataKeys") else {
            if settings.optionalString("security.indexKey") != nil {
                throw ConfigurationError(key: "security.dataKeys", reason: "is required when security.indexKey is set")
            }
            return nil
        }
        var keys: [String: String] = [:]
        var first: String?
        for entry in list.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else {
                throw ConfigurationError(key: "security.dataKeys", reason: "must be a comma-separated list of id:base64 (32-byte keys)")
            }
            keys[String(parts[0])] = String(parts[1])
            first = first ?? String(parts[0])
        }
        guard let indexKey = settings.optionalString("security.indexKey") else {
            throw ConfigurationError(key: "security.indexKey", reason: "is required when security.dataKeys is set (base64 of 32 bytes, not a data key)")
        }
        let material = KeyMaterial(dataKeys: keys, activeDataKey: settings.optionalString("security.activeDataKey") ?? first ?? "", indexKey: indexKey)
        do {
            _ = try material.dataKeyRing()
        } catch {
            throw ConfigurationError(key: "security.dataKeys", reason: error.description)
        }
        do {
            _ = try material.blindIndex()
        } catch {
            throw ConfigurationError(key: "security.indexKey", reason: error.description)
        }
        return material
    }

    /// The file descriptors kept for everything but HTTP connections when `http.maxConnections` is
    /// derived: database pools, broker and Redis connections, SQLite files, logs.
    public static func reservedFileDescriptors(fileDescriptorLimit: Int) -> Int {
        max(128, fileDescriptorLimit / 8)
    }

    /// The HTTP server's limits: the configured timeouts and `http.maxConnections`, or when that is
    /// unset, the file-descriptor limit less ``reservedFileDescriptors(fileDescriptorLimit:)``
    /// (at least 16; 896 of 1,024 descriptors; at most 1,000,000).
    public func httpServerLimits(fileDescriptorLimit: Int?) -> HTTPServerLimits {
        let derived = fileDescriptorLimit.map { limit in
            min(1_000_000, max(16, limit - Self.reservedFileDescriptors(fileDescriptorLimit: limit)))
        }
        return HTTPServerLimits(
            requestHeadTimeout: requestHeadTimeout, requestBodyTimeout: requestBodyTimeout, idleTimeout: idleTimeout,
            maxConnections: maxConnections ?? derived ?? 10_000
        )
    }

    /// The keys under `service`'s name (`inventory.reservationTTL`), which the service reads and
    /// validates itself when it is made (a ``ServiceSettingError`` it throws is reported as a
    /// ``ConfigurationError`` naming the key).
    public func serviceSettings(for service: String) -> ServiceSettings {
        let reader = SettingsReader(config: config)
        return ServiceSettings(service: service) { reader.optionalString($0) }
    }

    /// The database of `service`: its own URL, else the shared one, else an SQLite file
    /// `<data dir>/<service>.sqlite`.
    public func databaseURL(for service: String) throws(ConfigurationError) -> DatabaseURL {
        if let raw = databaseURLs[service] ?? databaseURLs[""] {
            do {
                return try DatabaseURL(parsing: raw)
            } catch {
                throw ConfigurationError(key: databaseURLs[service] != nil ? "\(service).database.url" : "database.url", reason: error.reason)
            }
        }
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent("\(service).sqlite").path
        return .sqlite(path: path)
    }

    /// The read replica of `service`'s database, a PostgreSQL hot standby: its own
    /// `<service>.database.readURL`, else `database.readURL` when the service's database is
    /// the shared `database.url` (the shared replica is a copy of that database, not of one a
    /// service names itself); nil without one.
    /// - Throws: ``ConfigurationError`` naming the key when the URL is malformed, is not a
    ///   PostgreSQL one, or the service's database (its primary) is not on PostgreSQL.
    public func readReplica(for service: String) throws(ConfigurationError) -> DatabaseURL.PostgresEndpoint? {
        let key: String
        let raw: String
        if let own = databaseReadURLs[service] {
            (key, raw) = ("\(service).database.readURL", own)
        } else if let shared = databaseReadURLs[""], databaseURLs[service] == nil {
            (key, raw) = ("database.readURL", shared)
        } else {
            return nil
        }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: raw)
        } catch {
            throw ConfigurationError(key: key, reason: error.reason)
        }
        guard case .postgres(let endpoint) = url else {
            throw ConfigurationError(key: key, reason: "a read replica must be a PostgreSQL hot standby (postgres://user@host:5432/database)")
        }
        guard case .postgres = try databaseURL(for: service) else {
            throw ConfigurationError(
                key: key,
                reason: "the \(service) service's database is SQLite: a read replica needs a PostgreSQL primary (database.url or \(service).database.url)")
        }
        return endpoint
    }
}

/// A configuration value that is missing or invalid.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The key, as written in a config file (`http.port`); its environment variable is derived.
    public var key: String
    public var reason: String

    public var description: String {
        "configuration '\(key)' (environment \(Self.environmentName(of: key))): \(reason)"
    }

    /// `EMPORIUM_HTTP_PORT` for `http.port`, `EMPORIUM_DATABASE_MAX_CONNECTIONS` for
    /// `database.maxConnections`, `EMPORIUM_INVENTORY_RESERVATION_TTL` for
    /// `inventory.reservationTTL`: as swift-configuration's environment provider reads them (an
    /// underscore where a lower-case letter meets an upper-case one, so `l1TTL` is `L1TTL`).
    public static func environmentName(of key: String) -> String {
        var name = "EMPORIUM"
        for component in key.split(separator: ".") {
            name += "_"
            var previous: Character?
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { name += "_" }
                name += character.isLetter || character.isNumber ? character.uppercased() : "_"
                previous = character
            }
        }
        return name
    }
}

/// Typed reads over a `ConfigReader` that reject malformed values instead of ignoring them.
struct SettingsReader {
    let config: ConfigReader

    func optionalString(_ key: String) -> String? {
        config.string(forKey: ConfigKey(key)).flatMap { $0.isEmpty ? nil : $0 }
            ?? config.int(forKey: ConfigKey(key)).map(String.init)
            ?? config.double(forKey: ConfigKey(key)).map { String($0) }
    }

    func string(_ key: String) throws(ConfigurationError) -> String {
        guard let value = optionalString(key) else { throw ConfigurationError(key: key, reason: "is required") }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let raw = try string(key)
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(key: key, reason: "'\(raw)' is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard optionalString(key) != nil else { return nil }
        return try int(key, in: range)
    }

    func optionalBool(_ key: String) throws(ConfigurationError) -> Bool? {
        if let value = config.bool(forKey: ConfigKey(key)) { return value }
        guard let raw = config.string(forKey: ConfigKey(key)) else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigurationError(key: key, reason: "'\(raw)' is not true or false")
        }
    }
}

extension RuntimeSettings {
    /// `edgeCache.purge.*`: the kind, its URLs (comma-separated; each an http(s) URL), the token a
    /// CDN needs, the tries of one purge.
    static func edgePurge(_ settings: SettingsReader) throws(ConfigurationError) -> EdgePurgeSettings {
        let raw = try settings.string("edgeCache.purge.kind")
        guard let kind = EdgePurgeSettings.Kind(rawValue: raw) else {
            throw ConfigurationError(
                key: "edgeCache.purge.kind", reason: "'\(raw)' is not one of \(EdgePurgeSettings.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let urls = (settings.optionalString("edgeCache.purge.url") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for url in urls {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                throw ConfigurationError(key: "edgeCache.purge.url", reason: "'\(url)' is not an http(s) URL")
            }
        }
        let token = settings.optionalString("edgeCache.purge.token")
        if kind != .none, urls.isEmpty {
            throw ConfigurationError(key: "edgeCache.purge.url", reason: "purging with \(kind.rawValue) needs the URL to send purges to")
        }
        if kind == .fastly || kind == .cloudflare, token == nil {
            throw ConfigurationError(key: "edgeCache.purge.token", reason: "purging with \(kind.rawValue) needs its API token")
        }
        return EdgePurgeSettings(kind: kind, urls: urls, token: token, attempts: try settings.int("edgeCache.purge.attempts", in: 1...20))
    }
}

/// Where a process exports its spans, and which traces it keeps.
public struct TracingSettings: Sendable, Equatable {
    /// The OTLP/HTTP (protobuf) traces URL: `tracing.otlpEndpoint`, with `/v1/traces` added when
    /// it has no path (`http://jaeger:4318` → `http://jaeger:4318/v1/traces`).
    public var endpoint: String
    /// The share of new traces recorded (`tracing.sampleRatio`, 0 to 1); a trace continued from
    /// a caller follows the caller's decision (parent-based sampling).
    public var sampleRatio: Double

    public init(endpoint: String, sampleRatio: Double = 1) {
        self.endpoint = endpoint
        self.sampleRatio = sampleRatio
    }

    /// nil when `tracing.otlpEndpoint` is not set.
    init?(_ settings: SettingsReader) throws(ConfigurationError) {
        guard let raw = settings.optionalString("tracing.otlpEndpoint") else { return nil }
        guard let url = URL(string: raw), url.scheme == "http" || url.scheme == "https", url.host != nil, url.query == nil else {
            throw ConfigurationError(
                key: "tracing.otlpEndpoint",
                reason: "must be the http:// or https:// URL of an OTLP/HTTP receiver, such as http://jaeger:4318 (its /v1/traces is used) or http://collector:4318/v1/traces")
        }
        endpoint = url.path.isEmpty || url.path == "/" ? raw.trimmingSuffix("/") + "/v1/traces" : raw
        let ratio = try settings.string("tracing.sampleRatio")
        guard let value = Double(ratio), (0...1).contains(value) else {
            throw ConfigurationError(key: "tracing.sampleRatio", reason: "'\(ratio)' is not a number from 0 to 1 (0.01 keeps one new trace in a hundred)")
        }
        sampleRatio = value
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
