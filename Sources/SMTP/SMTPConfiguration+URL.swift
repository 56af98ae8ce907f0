extension SMTPConfiguration {
    /// Creates a configuration from a URL of the form
    /// `smtp[s]://[user:password@]host[:port][?starttls=MODE&timeout=SECONDS]`.
    ///
    /// - `smtp://mail.example.com` — port 587, `STARTTLS` when offered, no authentication.
    /// - `smtp://app:secret@mail.example.com:2525?starttls=required` — credentials, TLS required.
    /// - `smtps://app:secret@mail.example.com` — implicit TLS, port 465.
    /// - `smtp://127.0.0.1:1025?starttls=never` — a local test server in plain text.
    /// - IPv6 hosts go in brackets: `smtp://[::1]:25`.
    ///
    /// `starttls` is `required`, `opportunistic` (the default) or `never`, and only goes with
    /// `smtp://`. `timeout` (seconds, fractions allowed) sets both the connect and the command
    /// timeout. User name and password may be percent-encoded. Other settings keep their defaults.
    ///
    /// - Throws: ``SMTPError/invalidURL(_:reason:)`` naming the part that is wrong.
    public init(url: String) throws(SMTPError) {
        let parsed = try SMTPURLParser.parse(url)
        self.init(
            host: parsed.host,
            port: parsed.port,
            username: parsed.username,
            password: parsed.password,
            security: parsed.security
        )
        if let timeout = parsed.timeout {
            self.connectTimeout = timeout
            self.commandTimeout = timeout
        }
    }
}

/// The parts of an SMTP URL.
struct SMTPURLParser {
    var host: String
    var port: Int
    var username: String?
    var password: String?
    var security: SMTPConfiguration.Security
    var timeout: Duration?

    static func parse(_ url: String) throws(SMTPError) -> SMTPURLParser {
        func invalid(_ reason: String) -> SMTPError {
            .invalidURL(SMTPError.redacted(url), reason: reason)
        }
        guard let schemeRange = url.firstRange(of: "://") else {
            throw invalid("expected smtp://host[:port] or smtps://host[:port]")
        }
        let scheme = url[..<schemeRange.lowerBound].lowercased()
        let implicitTLS: Bool
        switch scheme {
        case "smtp": implicitTLS = false
        case "smtps": implicitTLS = true
        default: throw invalid("unsupported scheme '\(scheme)', expected smtp:// or smtps://")
        }

        var rest = url[schemeRange.upperBound...]
        if rest.contains("#") { throw invalid("fragments are not supported") }
        var query: Substring = ""
        if let questionMark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: questionMark)...]
            rest = rest[..<questionMark]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw invalid("a path is not supported") }
            rest = rest[..<slash]
        }

        var username: String?
        var password: String?
        var hostPort = rest
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            hostPort = rest[rest.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw invalid("credentials must be user:password")
            }
            let user = try percentDecoded(userInfo[..<colon], invalid)
            guard !user.isEmpty else { throw invalid("empty user name") }
            username = user
            password = try percentDecoded(userInfo[userInfo.index(after: colon)...], invalid)
        }

        let host: String
        var portText: Substring?
        if hostPort.first == "[" {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw invalid("missing host") }

        var port = implicitTLS ? 465 : 587
        if let portText {
            guard portText.count <= 5, portText.allSatisfy(\.isASCIIDigit), let value = Int(portText), (1...65535).contains(value) else {
                throw invalid("port must be a number from 1 to 65535")
            }
            port = value
        }

        var security: SMTPConfiguration.Security = implicitTLS ? .implicitTLS : .startTLSIfAvailable
        var timeout: Duration?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch name {
            case "starttls":
                guard !implicitTLS else { throw invalid("starttls goes with smtp://, not smtps:// (which is TLS from the start)") }
                switch value {
                case "required": security = .startTLS
                case "opportunistic": security = .startTLSIfAvailable
                case "never": security = .plaintext
                default: throw invalid("starttls must be required, opportunistic or never, not '\(value)'")
                }
            case "timeout":
                guard let seconds = Double(value), seconds > 0, seconds <= 86_400 else {
                    throw invalid("timeout must be a number of seconds above 0, not '\(value)'")
                }
                timeout = .milliseconds(Int64((seconds * 1000).rounded()))
            default:
                throw invalid("unknown parameter '\(name)' (known: starttls, timeout)")
            }
        }

        return SMTPURLParser(host: host, port: port, username: username, password: password, security: security, timeout: timeout)
    }

    private static func percentDecoded(_ text: Substring, _ invalid: (String) -> SMTPError) throws(SMTPError) -> String {
        var output: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw invalid("bad percent-encoding in user name or password")
                }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
