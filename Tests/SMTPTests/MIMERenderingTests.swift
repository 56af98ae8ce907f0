import Foundation
import NIOCore
import Testing

@testable import SMTP

@Suite("MIME rendering without a server")
struct MIMERenderingTests {
    private func render(_ message: SMTPMessage, at seconds: Int64 = 1_772_546_709) throws -> SMTPMessage.Rendered {
        var random = FixedRandom()
        return try message.render(secondsSince1970: seconds, using: &random)
    }

    private var simple: SMTPMessage {
        SMTPMessage(from: SMTPAddress("orders@shop.example", name: "Emporium Shop"), to: ["ada@example.com"], subject: "Your order", text: "Hello Ada,\nthanks.")
    }

    @Test("a text-only message: headers, quoted-printable body, CRLF everywhere")
    func textOnly() throws {
        let rendered = try render(simple)
        let (headers, body) = MIMEDecoding.split(rendered.bytes)
        #expect(headers["Date"] == "Tue, 03 Mar 2026 14:05:09 +0000")
        #expect(headers["From"] == "Emporium Shop <orders@shop.example>")
        #expect(headers["To"] == "ada@example.com")
        #expect(headers["Subject"] == "Your order")
        #expect(headers["MIME-Version"] == "1.0")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(headers["Content-Transfer-Encoding"] == "quoted-printable")
        #expect(headers["Message-ID"] == "<\(rendered.messageID)>")
        #expect(rendered.messageID.hasSuffix("@shop.example"))
        #expect(rendered.messageID.count == 32 + "@shop.example".count)
        #expect(body == "Hello Ada,\r\nthanks.\r\n")
        // No bare CR or LF anywhere.
        let bytes = rendered.bytes
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D)
        }
    }

    @Test("text and HTML: multipart/alternative with the text first")
    func multipart() throws {
        var message = simple
        message.html = "<p>Hello <b>Ada</b></p>"
        let rendered = try render(message)
        let (headers, body) = MIMEDecoding.split(rendered.bytes)
        let contentType = try #require(headers["Content-Type"])
        #expect(contentType.hasPrefix("multipart/alternative; boundary=\""))
        let boundary = String(contentType.split(separator: "\"")[1])
        let sections = body.components(separatedBy: "--\(boundary)")
        #expect(sections.count == 4)  // preamble, text, html, closing
        #expect(sections[1].contains("Content-Type: text/plain; charset=utf-8"))
        #expect(sections[1].contains("Hello Ada,\r\nthanks."))
        #expect(sections[2].contains("Content-Type: text/html; charset=utf-8"))
        #expect(sections[2].contains("<p>Hello <b>Ada</b></p>"))
        #expect(sections[3].hasPrefix("--\r\n"))
    }

    @Test("the same inputs render the same bytes; another message gets another ID")
    func deterministic() throws {
        #expect(try render(simple) == render(simple))
        let first = try simple.render()
        let second = try simple.render()
        #expect(first.messageID != second.messageID)
    }

    @Test("a non-ASCII subject becomes RFC 2047 encoded words of at most 75 characters")
    func encodedSubject() throws {
        var message = simple
        message.subject = "Bestellung bestätigt – Grüße aus Zürich 🎉 " + String(repeating: "ü", count: 40)
        let rendered = try render(message)
        let text = String(decoding: rendered.bytes, as: UTF8.self)
        let subjectLines = text.components(separatedBy: "\r\n").drop(while: { !$0.hasPrefix("Subject:") }).prefix(while: { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") })
        #expect(subjectLines.count > 1)
        for line in subjectLines {
            #expect(line.utf8.count <= 78)
            #expect(line.utf8.allSatisfy { $0 < 0x80 })
        }
        let headers = MIMEDecoding.split(rendered.bytes).headers
        #expect(MIMEDecoding.encodedWords(try #require(headers["Subject"])) == message.subject)
    }

    @Test("display names: quoted when they have specials, encoded when not ASCII")
    func displayNames() throws {
        var message = simple
        message.from = SMTPAddress("orders@shop.example", name: "Shop, Inc. \"Best\"")
        message.to = [SMTPAddress("zoe@example.com", name: "Zoë Ångström")]
        let headers = MIMEDecoding.split(try render(message).bytes).headers
        #expect(headers["From"] == #""Shop, Inc. \"Best\"" <orders@shop.example>"#)
        let to = try #require(headers["To"])
        #expect(to.hasPrefix("=?UTF-8?B?"))
        #expect(to.hasSuffix("<zoe@example.com>"))
        #expect(MIMEDecoding.encodedWords(String(to.dropLast(" <zoe@example.com>".count))) == "Zoë Ångström")
    }

    @Test("long address lists are folded at 78 characters")
    func folding() throws {
        var message = simple
        message.to = (1...12).map { SMTPAddress("recipient\($0)@example.com", name: "Recipient \($0)") }
        let text = String(decoding: try render(message).bytes, as: UTF8.self)
        let headerText = text.components(separatedBy: "\r\n\r\n")[0]
        for line in headerText.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
        }
        let to = try #require(MIMEDecoding.split(try render(message).bytes).headers["To"])
        #expect(to.components(separatedBy: ", ").count == 12)
    }

    @Test("Bcc recipients are in the envelope only; the envelope lists each address once")
    func bcc() throws {
        var message = simple
        message.cc = ["cc@example.com", "ADA@example.com"]
        message.bcc = ["hidden@example.com"]
        let rendered = try render(message)
        let text = String(decoding: rendered.bytes, as: UTF8.self)
        #expect(!text.contains("hidden@example.com"))
        #expect(!text.contains("Bcc"))
        #expect(message.envelope.recipients.map(\.address) == ["ada@example.com", "cc@example.com", "hidden@example.com"])
        #expect(message.envelope.sender.address == "orders@shop.example")
    }

    @Test("quoted-printable: escapes, trailing spaces, soft breaks at 76, leading dots kept")
    func quotedPrintable() throws {
        let encode = { (text: String) in String(decoding: QuotedPrintable.encode(crlfText: Array(text.utf8)), as: UTF8.self) }
        #expect(encode("café = ok \r\n") == "caf=C3=A9 =3D ok=20\r\n")
        #expect(encode(".leading dot\r\n..two") == ".leading dot\r\n..two")
        #expect(encode("tab\t") == "tab=09")
        let long = String(repeating: "abcdefghij", count: 20) + "é"
        let encoded = encode(long)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
        }
        #expect(MIMEDecoding.quotedPrintable(encoded) == Array(long.utf8))
    }

    @Test("mostly non-ASCII text goes as base64")
    func base64Body() throws {
        var message = simple
        message.text = "こんにちは、ご注文ありがとうございます。\n" + String(repeating: "注文", count: 100)
        let (headers, body) = MIMEDecoding.split(try render(message).bytes)
        #expect(headers["Content-Transfer-Encoding"] == "base64")
        for line in body.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
        }
        let decoded = Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))
        #expect(decoded.map { String(decoding: $0, as: UTF8.self) } == message.text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test("base64 encodes and decodes like Foundation's")
    func base64() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) % 256) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
            #expect(Base64.decode(Data(bytes).base64EncodedString()) == bytes)
        }
        #expect(Base64.decode("not base64!") == nil)
    }

    @Test(
        "the Date header in RFC 5322 format",
        arguments: [
            (Int64(0), "Thu, 01 Jan 1970 00:00:00 +0000"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (1_772_546_709, "Tue, 03 Mar 2026 14:05:09 +0000"),
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 +0000"),
            (-86_400, "Wed, 31 Dec 1969 00:00:00 +0000"),
        ]
    )
    func date(seconds: Int64, expected: String) {
        #expect(RFC5322Date.format(secondsSince1970: seconds) == expected)
    }

    @Test(
        "header injection is refused, not cleaned up",
        arguments: [
            "Hello\r\nBcc: victim@example.com",
            "Hello\nBcc: victim@example.com",
            "Hello\rX-Injected: yes",
            "nul\u{0}byte",
        ]
    )
    func injectionInSubject(subject: String) {
        var message = simple
        message.subject = subject
        #expect(throws: SMTPError.self) { try message.render() }
        do {
            _ = try message.render()
        } catch {
            guard case .invalidHeader(let name, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(name == "Subject")
            #expect(!error.isTransient)
        }
    }

    @Test("a line break in a display name or message ID is refused")
    func injectionElsewhere() throws {
        var message = simple
        message.to = [SMTPAddress("ada@example.com", name: "Ada\r\nBcc: victim@example.com")]
        #expect(throws: SMTPError.self) { try message.render() }
        message = simple
        message.messageID = "abc@shop.example>\r\nX-Injected: <x"
        #expect(throws: SMTPError.self) { try message.render() }
        message = simple
        message.messageID = "order-1042-confirmation@shop.example"
        #expect(try message.render().messageID == "order-1042-confirmation@shop.example")
    }

    @Test(
        "addresses that could break the SMTP command line or a header are refused",
        arguments: [
            "ada@example.com>\r\nRCPT TO:<victim@example.com",
            "ada@example.com\nx",
            "ada example@example.com",
            "<ada@example.com>",
            "ada",
            "ada@",
            "@example.com",
            "ada@@example.com",
            "ada..b@example.com",
            "zoë@example.com",
            "",
        ]
    )
    func invalidAddresses(address: String) {
        #expect(throws: SMTPError.self) { try SMTPAddress(address).validate() }
    }

    @Test("no recipients is an error")
    func noRecipients() {
        var message = simple
        message.to = []
        #expect(throws: SMTPError.noRecipients) { try message.render() }
    }

    @Test("DATA encoding: dot-stuffing and CRLF for bare CR and LF, then the final dot")
    func dataEncoding() {
        func encode(_ text: String) -> String {
            var buffer = ByteBuffer()
            SMTPDataEncoder.encode(Array(text.utf8), into: &buffer)
            return String(buffer: buffer)
        }
        #expect(encode("a\r\nb\r\n") == "a\r\nb\r\n.\r\n")
        #expect(encode("a\nb") == "a\r\nb\r\n.\r\n")
        #expect(encode("a\rb\r\n") == "a\r\nb\r\n.\r\n")
        #expect(encode(".\r\n") == "..\r\n.\r\n")
        #expect(encode(".hidden\n..two\nmid.dle") == "..hidden\r\n...two\r\nmid.dle\r\n.\r\n")
        #expect(encode("") == ".\r\n")
    }
}
