extension RedisConfiguration {
    /// Creates a configuration from a URL of the form
    /// `redis://[[user]:password@]host[:port][/database]`.
    ///
    /// - `redis://cache` — port 6379, database 0, no authentication.
    /// - `redis://:secret@cache:6380/2` — password only (the `default` user).
    /// - `redis://app:secret@cache/1` — an ACL user.
    /// - `redis://secret@cache` — a user-info part without `:` is taken as the password, as most
    ///   Redis clients do.
    /// - IPv6 hosts go in brackets: `redis://[::1]:6379`.
    ///
    /// User name and password may be percent-encoded. Other settings keep their defaults.
    ///
    /// - Throws: ``RedisClientError/tlsNotSupported(_:)`` for `rediss://`,
    ///   ``RedisClientError/invalidURL(_:reason:)`` for anything else that is not such a URL.
    public init(url: String) throws(RedisClientError) {
        let parsed = try RedisURLParser.parse(url)
        self.init(
            host: parsed.host,
            port: parsed.port,
            username: parsed.username,
            password: parsed.password,
            database: parsed.database
        )
    }
}

/// The parts of a Redis URL.
struct RedisURLParser {
    var host: String
    var port: Int
    var username: String?
    var password: String?
    var database: Int

    static func parse(_ url: String) throws(RedisClientError) -> RedisURLParser {
        func invalid(_ reason: String) -> RedisClientError {
            .invalidURL(RedisClientError.redacted(url), reason: reason)
        }
        let bytes = Array(url.utf8)
        guard let schemeEnd = Self.find(Array("://".utf8), in: bytes) else {
            throw invalid("expected redis://host[:port][/database]")
        }
        let scheme = String(decoding: bytes[..<schemeEnd], as: UTF8.self).lowercased()
        switch scheme {
        case "redis": break
        case "rediss": throw .tlsNotSupported(RedisClientError.redacted(url))
        default: throw invalid("unsupported scheme '\(scheme)', expected redis://")
        }

        let rest = bytes[(schemeEnd + 3)...]
        if rest.contains(UInt8(ascii: "?")) || rest.contains(UInt8(ascii: "#")) {
            throw invalid("query parameters and fragments are not supported")
        }
        let authorityEnd = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        let path = rest[authorityEnd...]

        var username: String?
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: UInt8(ascii: "@")) {
            let userInfo = authority[authority.startIndex..<at]
            hostPort = authority[(at + 1)...]
            if let colon = userInfo.firstIndex(of: UInt8(ascii: ":")) {
                let user = try Self.percentDecoded(userInfo[userInfo.startIndex..<colon], invalid)
                username = user.isEmpty ? nil : user
                password = try Self.percentDecoded(userInfo[(colon + 1)...], invalid)
            } else {
                password = try Self.percentDecoded(userInfo, invalid)
            }
            if password?.isEmpty == true { password = nil }
        }

        var host: String
        var portPart: ArraySlice<UInt8>?
        if hostPort.first == UInt8(ascii: "[") {
            guard let close = hostPort.firstIndex(of: UInt8(ascii: "]")) else {
                throw invalid("unterminated IPv6 address")
            }
            host = String(decoding: hostPort[(hostPort.startIndex + 1)..<close], as: UTF8.self)
            let after = hostPort[(close + 1)...]
            if let first = after.first {
                guard first == UInt8(ascii: ":") else { throw invalid("unexpected text after IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: UInt8(ascii: ":")) {
            host = String(decoding: hostPort[hostPort.startIndex..<colon], as: UTF8.self)
            portPart = hostPort[(colon + 1)...]
        } else {
            host = String(decoding: hostPort, as: UTF8.self)
        }
        guard !host.isEmpty else { throw invalid("missing host") }

        var port = 6379
        if let portPart {
            guard let value = Self.decimal(portPart), (1...65535).contains(value) else {
                throw invalid("port must be a number from 1 to 65535")
            }
            port = value
        }

        var database = 0
        let databasePart = path.dropFirst()
        if !databasePart.isEmpty {
            guard let value = Self.decimal(databasePart) else {
                throw invalid("database must be a non-negative number, got '\(String(decoding: databasePart, as: UTF8.self))'")
            }
            database = value
        }

        return RedisURLParser(host: host, port: port, username: username, password: password, database: database)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// A non-negative decimal number of at most 9 digits.
    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for byte in digits {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func percentDecoded(
        _ bytes: ArraySlice<UInt8>,
        _ invalid: (String) -> RedisClientError
    ) throws(RedisClientError) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = Self.hexValue(bytes[index + 1]),
                    let low = Self.hexValue(bytes[index + 2])
                else { throw invalid("bad percent-encoding in user name or password") }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
