import NIOCore

/// Cuts the bytes an SMTP server sends into replies.
///
/// A reply is one or more lines `CODE-text` ending with a line `CODE text` (or just `CODE`); all
/// lines of one reply carry the same code. Lines end with CRLF; a bare LF is accepted too, since
/// some servers send it. The parser keeps the lines of an unfinished reply between calls, so
/// bytes may arrive in any pieces.
struct SMTPReplyParser {
    /// The longest line accepted, terminator included. RFC 5321 allows 512 bytes; servers send
    /// longer ones in practice, so this leaves room without letting a server fill memory.
    static let maximumLineLength = 8192
    /// The most lines one reply may have.
    static let maximumLines = 1000

    private var code: Int?
    private var lines: [String] = []

    /// Whether part of a multi-line reply has been read.
    var isInsideReply: Bool { self.code != nil }

    /// Reads lines from `buffer` until a reply is complete, and returns it; returns `nil` when
    /// more bytes are needed (the lines read so far are kept).
    ///
    /// - Throws: ``SMTPError/protocolError(_:)`` when the bytes are not an SMTP reply.
    mutating func parse(_ buffer: inout ByteBuffer) throws(SMTPError) -> SMTPReply? {
        while let line = try Self.readLine(&buffer) {
            if let reply = try self.consume(line) {
                return reply
            }
        }
        return nil
    }

    /// One line, without its terminator; `nil` when no whole line is buffered yet.
    private static func readLine(_ buffer: inout ByteBuffer) throws(SMTPError) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > Self.maximumLineLength {
                throw .protocolError("reply line longer than \(Self.maximumLineLength) bytes")
            }
            return nil
        }
        let length = newline - view.startIndex
        guard length < Self.maximumLineLength else {
            throw .protocolError("reply line longer than \(Self.maximumLineLength) bytes")
        }
        var line = buffer.readBytes(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }

    private mutating func consume(_ line: [UInt8]) throws(SMTPError) -> SMTPReply? {
        guard line.count >= 3,
            let d1 = Self.digit(line[0]), (2...5).contains(d1),
            let d2 = Self.digit(line[1]), let d3 = Self.digit(line[2])
        else {
            throw .protocolError("not an SMTP reply line: '\(Self.printable(line))'")
        }
        let code = d1 * 100 + d2 * 10 + d3
        if let expected = self.code, expected != code {
            throw .protocolError("reply line with code \(code) inside a reply with code \(expected)")
        }
        let isLast: Bool
        switch line.count > 3 ? line[3] : UInt8(ascii: " ") {
        case UInt8(ascii: "-"): isLast = false
        case UInt8(ascii: " "): isLast = true
        default: throw .protocolError("expected '-' or ' ' after the reply code: '\(Self.printable(line))'")
        }
        let text = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        self.lines.append(text)
        if isLast {
            let reply = SMTPReply(code: code, lines: self.lines)
            self.code = nil
            self.lines = []
            return reply
        }
        guard self.lines.count < Self.maximumLines else {
            throw .protocolError("reply with more than \(Self.maximumLines) lines")
        }
        self.code = code
        return nil
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// The line for an error message: at most 80 bytes, control bytes shown as `?`.
    private static func printable(_ line: [UInt8]) -> String {
        String(decoding: line.prefix(80).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }
}
