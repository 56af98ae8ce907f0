/// A service's own configuration: the keys under its name (`inventory.reservationTTL`), from
/// the same sources as every other setting (flags, `EMPORIUM_*` environment variables, the
/// config file; see `docs/configuration.md`).
///
/// The runtime hands each service its settings in its ``ServiceEnvironment``; the service reads
/// the keys it knows when it is made, with their defaults and ranges, and throws
/// ``ServiceSettingError`` for a value it cannot use, which stops the process at start-up naming
/// the key (nothing is silently ignored).
public struct ServiceSettings: Sendable {
    /// The service's name: the first component of its keys.
    public let service: String
    private let lookup: @Sendable (String) -> String?

    /// - Parameters:
    ///   - service: The service's name.
    ///   - lookup: The raw value of a full key (`inventory.reservationTTL`), nil when unset.
    public init(service: String, lookup: @escaping @Sendable (String) -> String?) {
        self.service = service
        self.lookup = lookup
    }

    /// Settings with the given values, by key within the service (`reservationTTL`): for tests
    /// and tools that make a service without the runtime.
    public init(service: String, values: [String: String] = [:]) {
        let prefix = service + "."
        self.init(service: service) { key in
            key.hasPrefix(prefix) ? values[String(key.dropFirst(prefix.count))] : nil
        }
    }

    /// The full key of `key` (`inventory.reservationTTL` for `reservationTTL`).
    public func fullKey(_ key: String) -> String { "\(service).\(key)" }

    /// The value of `key` within the service, nil when unset or empty.
    public func string(_ key: String) -> String? {
        lookup(fullKey(key)).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The integer value of `key`, or `defaultValue` when unset.
    /// - Throws: ``ServiceSettingError`` when the value is not an integer within `range`.
    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ServiceSettingError) -> Int {
        guard let raw = string(key) else { return defaultValue }
        guard let value = Int(raw), range.contains(value) else {
            throw ServiceSettingError(key: fullKey(key), reason: "'\(raw)' is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `key` as whole seconds, or `defaultValue` when unset.
    /// - Throws: ``ServiceSettingError`` when the value is not a whole number of seconds within `range`.
    public func seconds(_ key: String, default defaultValue: Duration, in range: ClosedRange<Int>) throws(ServiceSettingError) -> Duration {
        guard string(key) != nil else { return defaultValue }
        return .seconds(try int(key, default: 0, in: range))
    }
}

/// A service setting whose value cannot be used; the runtime reports it as a configuration
/// error naming the key and its environment variable.
public struct ServiceSettingError: Error, Equatable, CustomStringConvertible {
    /// The full key (`inventory.reservationTTL`).
    public var key: String
    public var reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "configuration '\(key)': \(reason)" }
}
