extension SMTPMessage {
    /// A rendered message: the bytes to send after `DATA` (CRLF line breaks, not yet
    /// dot-stuffed) and the `Message-ID` they carry.
    public struct Rendered: Sendable, Hashable {
        /// The `Message-ID` without angle brackets.
        public var messageID: String
        /// Headers and body, lines ending with CRLF.
        public var bytes: [UInt8]
    }

    /// Renders the message as MIME, dated now.
    ///
    /// - Throws: ``SMTPError/invalidAddress(_:reason:)``, ``SMTPError/invalidHeader(name:reason:)``
    ///   (a line break in the subject, a name or the message ID: header injection is refused, not
    ///   cleaned up) or ``SMTPError/noRecipients``.
    public func render() throws(SMTPError) -> Rendered {
        var random = SystemRandomNumberGenerator()
        return try self.render(secondsSince1970: RFC5322Date.now(), using: &random)
    }

    /// Renders the message dated `secondsSince1970`, taking the random parts (message ID,
    /// boundary) from `random`: the same inputs give the same bytes.
    func render(secondsSince1970: Int64, using random: inout some RandomNumberGenerator) throws(SMTPError) -> Rendered {
        try self.envelope.validate()
        for address in self.to + self.cc + self.replyTo + [self.from] {
            try address.validate()
        }
        try MIMEHeader.validate(self.subject, name: "Subject")

        let messageID: String
        if let given = self.messageID {
            try MIMEHeader.validate(given, name: "Message-ID")
            guard SMTPAddress(given).isValidMessageID else {
                throw .invalidHeader(name: "Message-ID", reason: "expected local@domain without brackets or spaces, got '\(given)'")
            }
            messageID = given
        } else {
            messageID = "\(Self.randomHex(&random))@\(self.from.domain)"
        }

        var headers: [String] = [
            MIMEHeader.fold(name: "Date", value: RFC5322Date.format(secondsSince1970: secondsSince1970)),
            MIMEHeader.fold(name: "From", value: self.from.headerValue),
        ]
        if !self.to.isEmpty {
            headers.append(MIMEHeader.fold(name: "To", value: self.to.map(\.headerValue).joined(separator: ", ")))
        }
        if !self.cc.isEmpty {
            headers.append(MIMEHeader.fold(name: "Cc", value: self.cc.map(\.headerValue).joined(separator: ", ")))
        }
        if !self.replyTo.isEmpty {
            headers.append(MIMEHeader.fold(name: "Reply-To", value: self.replyTo.map(\.headerValue).joined(separator: ", ")))
        }
        headers.append(MIMEHeader.fold(name: "Subject", value: MIMEHeader.unstructured(self.subject)))
        headers.append("Message-ID: <\(messageID)>")
        headers.append("MIME-Version: 1.0")

        var bytes: [UInt8] = []
        let textPart = BodyPart(contentType: "text/plain", content: self.text)
        if let html = self.html {
            let htmlPart = BodyPart(contentType: "text/html", content: html)
            let boundary = "=_emporium_\(Self.randomHex(&random))"
            headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            Self.append(headers, to: &bytes)
            Self.appendLine("", to: &bytes)
            Self.appendLine("This is a multi-part message in MIME format.", to: &bytes)
            for part in [textPart, htmlPart] {
                Self.appendLine("", to: &bytes)
                Self.appendLine("--\(boundary)", to: &bytes)
                Self.append(part.headers, to: &bytes)
                Self.appendLine("", to: &bytes)
                bytes.append(contentsOf: part.body)
            }
            Self.appendLine("", to: &bytes)
            Self.appendLine("--\(boundary)--", to: &bytes)
        } else {
            headers += textPart.headers
            Self.append(headers, to: &bytes)
            Self.appendLine("", to: &bytes)
            bytes.append(contentsOf: textPart.body)
        }
        return Rendered(messageID: messageID, bytes: bytes)
    }

    /// 128 random bits as 32 hex digits.
    private static func randomHex(_ random: inout some RandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<2 {
            var value = random.next() as UInt64
            for _ in 0..<16 {
                text.append(digits[Int(value & 0xF)])
                value >>= 4
            }
        }
        return text
    }

    private static func append(_ lines: [String], to bytes: inout [UInt8]) {
        for line in lines { self.appendLine(line, to: &bytes) }
    }

    private static func appendLine(_ line: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: line.utf8)
        bytes.append(contentsOf: [0x0D, 0x0A])
    }
}

/// One text body part: its headers and its encoded body (ending with CRLF).
private struct BodyPart {
    var headers: [String]
    var body: [UInt8]

    /// Encodes `content` as UTF-8 with CRLF line breaks: quoted-printable while that stays
    /// small (mostly-ASCII text, readable on the wire), base64 when most of the text is not
    /// ASCII (quoted-printable would triple it).
    init(contentType: String, content: String) {
        let text = SMTPDataEncoder.normalizingLineBreaks(Array(content.utf8))
        let nonASCII = text.lazy.filter { $0 >= 0x80 }.count
        let encoding: String
        if nonASCII * 3 > text.count {
            encoding = "base64"
            self.body = Base64.encodeLines(text)
        } else {
            encoding = "quoted-printable"
            var body = QuotedPrintable.encode(crlfText: text)
            if body.last != 0x0A { body.append(contentsOf: [0x0D, 0x0A]) }
            self.body = body
        }
        self.headers = [
            "Content-Type: \(contentType); charset=utf-8",
            "Content-Transfer-Encoding: \(encoding)",
        ]
    }
}

extension SMTPAddress {
    /// Whether this text could be a message ID: `local@domain` of printable ASCII.
    var isValidMessageID: Bool {
        (try? self.validate()) != nil
    }
}
