import NIOCore
import Testing

@testable import SMTP

@Suite("SMTP reply parser")
struct SMTPReplyParserTests {
    private func parseAll(_ chunks: [String]) throws -> [SMTPReply] {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer()
        var replies: [SMTPReply] = []
        for chunk in chunks {
            buffer.writeString(chunk)
            while let reply = try parser.parse(&buffer) {
                replies.append(reply)
            }
        }
        return replies
    }

    @Test("a one-line reply")
    func singleLine() throws {
        let replies = try parseAll(["220 mail.example.com ESMTP ready\r\n"])
        #expect(replies == [SMTPReply(code: 220, "mail.example.com ESMTP ready")])
    }

    @Test("a multi-line EHLO reply is one reply with every line")
    func multiLine() throws {
        let replies = try parseAll(["250-mail.example.com\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 HELP\r\n"])
        #expect(replies == [SMTPReply(code: 250, lines: ["mail.example.com", "SIZE 1000", "STARTTLS", "HELP"])])
    }

    @Test("bytes arriving one at a time give the same replies")
    func byteByByte() throws {
        let text = "250-first\r\n250 last\r\n354 go ahead\r\n"
        let replies = try parseAll(text.map { String($0) })
        #expect(replies == [SMTPReply(code: 250, lines: ["first", "last"]), SMTPReply(code: 354, "go ahead")])
    }

    @Test("a code without text, and bare LF line ends")
    func bareCodeAndLF() throws {
        let replies = try parseAll(["250\n", "221 bye\n"])
        #expect(replies == [SMTPReply(code: 250, ""), SMTPReply(code: 221, "bye")])
    }

    @Test("an incomplete reply waits for more bytes")
    func incomplete() throws {
        var parser = SMTPReplyParser()
        var buffer = ByteBuffer(string: "250-one\r\n250 tw")
        #expect(try parser.parse(&buffer) == nil)
        #expect(parser.isInsideReply)
        buffer.writeString("o\r\n")
        #expect(try parser.parse(&buffer) == SMTPReply(code: 250, lines: ["one", "two"]))
        #expect(!parser.isInsideReply)
    }

    @Test(
        "malformed replies are protocol errors",
        arguments: [
            "hello\r\n",  // no code
            "25\r\n",  // too short
            "650 no such class\r\n",  // first digit out of range
            "250x text\r\n",  // neither '-' nor ' ' after the code
            "250-one\r\n251 two\r\n",  // code changes inside a reply
        ]
    )
    func malformed(text: String) {
        #expect(throws: SMTPError.self) { try parseAll([text]) }
    }

    @Test("an endless line is refused instead of buffered")
    func endlessLine() {
        let long = "250 " + String(repeating: "x", count: SMTPReplyParser.maximumLineLength + 10)
        #expect(throws: SMTPError.self) { try parseAll([long]) }
    }

    @Test("reply categories and enhanced status codes")
    func categories() {
        #expect(SMTPReply(code: 250, "2.0.0 Ok").category == .positiveCompletion)
        #expect(SMTPReply(code: 354, "go").category == .positiveIntermediate)
        #expect(SMTPReply(code: 451, "4.3.0 later").isTransientFailure)
        #expect(SMTPReply(code: 550, "5.1.1 unknown").isPermanentFailure)
        #expect(SMTPReply(code: 535, "5.7.8 Authentication credentials invalid").enhancedStatusCode == "5.7.8")
        #expect(SMTPReply(code: 250, "mail.example.com").enhancedStatusCode == nil)
        #expect(SMTPReply(code: 250, "1.2.3 not a class").enhancedStatusCode == nil)
    }

    @Test("EHLO capabilities: keywords, AUTH mechanisms (also the old AUTH= form), SIZE")
    func capabilities() {
        let reply = SMTPReply(code: 250, lines: ["mail.example.com greets you", "SIZE 10240000", "starttls", "AUTH PLAIN login", "AUTH=XOAUTH2", "8BITMIME"])
        let capabilities = SMTPCapabilities(ehloReply: reply)
        #expect(capabilities.supportsStartTLS)
        #expect(capabilities.supports("8bitmime"))
        #expect(!capabilities.supports("PIPELINING"))
        #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN", "XOAUTH2"])
        #expect(capabilities.maximumMessageSize == 10_240_000)
        #expect(SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["x", "SIZE"])).maximumMessageSize == nil)
    }
}
