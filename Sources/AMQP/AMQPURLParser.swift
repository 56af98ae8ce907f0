/// Parses `amqp://` URLs (see ``AMQPConfiguration/init(url:)``).
enum AMQPURLParser {
    static func parse(_ url: String, into config: inout AMQPConfiguration) throws(AMQPError) {
        func fail(_ reason: String) -> AMQPError { .invalidURL(redacted(url), reason: reason) }

        guard let schemeEnd = url.firstRange(of: "://") else { throw fail("expected amqp://") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "amqps" { throw fail("amqps (TLS) is not supported by this client") }
        guard scheme == "amqp" else { throw fail("unsupported scheme '\(scheme)'; expected amqp") }

        var rest = url[schemeEnd.upperBound...]
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if let f = rest.firstIndex(of: "#") { rest = rest[..<f] }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var hostPort = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                config.user = try decode(userInfo[..<colon], fail)
                config.password = try decode(userInfo[userInfo.index(after: colon)...], fail)
            } else {
                config.user = try decode(userInfo, fail)
            }
        }

        var portText: Substring? = nil
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
            config.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw fail("unexpected '\(after)' after IPv6 address")
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            config.host = try decode(hostPort[..<colon], fail)
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            config.host = try decode(hostPort, fail)
        }
        if config.host.isEmpty { config.host = "localhost" }
        if let portText, !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw fail("port '\(portText)' is not a number from 1 to 65535")
            }
            config.port = port
        }

        if path.isEmpty {
            config.virtualHost = "/"
        } else {
            if path.contains("/") { throw fail("the virtual host must be one path segment; write '/' as %2F") }
            config.virtualHost = try decode(path, fail)
        }

        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = parts[0]
            let value = parts.count > 1 ? try decode(parts[1], fail) : ""
            switch key {
            case "heartbeat":
                guard let seconds = Int(value), seconds >= 0 else { throw fail("heartbeat must be whole seconds") }
                config.heartbeat = .seconds(seconds)
            case "connection_timeout":
                guard let ms = Int(value), ms > 0 else { throw fail("connection_timeout must be milliseconds") }
                config.connectTimeout = .milliseconds(ms)
            case "channel_max":
                guard let n = UInt16(value) else { throw fail("channel_max must be 0-65535") }
                config.channelMax = n
            case "frame_max":
                guard let n = UInt32(value), n >= AMQPWire.minimumFrameMax else {
                    throw fail("frame_max must be at least \(AMQPWire.minimumFrameMax)")
                }
                config.frameMax = n
            default:
                continue
            }
        }
    }

    /// Percent-decodes `text` as UTF-8.
    static func decode(_ text: Substring, _ fail: (String) -> AMQPError) throws(AMQPError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw fail("bad percent-escape in '\(text)'")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw fail("percent-escapes in '\(text)' are not UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The URL with any password replaced by "***", safe for logs and errors.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
