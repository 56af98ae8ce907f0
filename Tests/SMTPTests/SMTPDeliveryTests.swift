import Foundation
import SMTP
import Testing

/// Messages sent to the aiosmtpd test servers and read back from what they stored, parsed by
/// Python's own MIME parser.
@Suite("SMTP delivery to a real server", .enabled(if: TestSMTP.isEnabled, TestSMTP.skipReason), .timeLimit(.minutes(1)))
struct SMTPDeliveryTests {
    @Test("a text + HTML message arrives with its recipients, subject, both parts and headers")
    func multipartMessage() async throws {
        let to = TestSMTP.uniqueAddress("to")
        let cc = TestSMTP.uniqueAddress("cc")
        let bcc = TestSMTP.uniqueAddress("bcc")
        let message = SMTPMessage(
            from: SMTPAddress("orders@shop.example", name: "Emporium Shop"),
            to: [SMTPAddress(to.address, name: "Zoë Ångström")],
            cc: [cc],
            bcc: [bcc],
            subject: "Commande n° 1042 confirmée – merci ! 🎉",
            text: "Bonjour Zoë,\n\nvotre commande 1042 est confirmée.\nTotal : 42,00 €\n",
            html: "<p>Bonjour Zoë,</p><p>votre commande <b>1042</b> est confirmée.</p>"
        )
        let result = try await withClient(try TestSMTP.configuration(TestSMTP.url)) { client in
            try await client.send(message)
        }
        #expect(result.reply.code == 250)
        #expect(result.messageID.hasSuffix("@shop.example"))

        let received = try await TestSMTP.received(by: "plain", for: to)
        #expect(received.sender == "orders@shop.example")
        #expect(Set(received.recipients) == [to.address, cc.address, bcc.address])
        #expect(received.parsed.error == nil)
        #expect(received.parsed.defects == [])
        #expect(received.parsed.subject == message.subject)
        #expect(received.parsed.from == "Emporium Shop <orders@shop.example>")
        #expect(received.parsed.to == "Zoë Ångström <\(to.address)>")
        #expect(received.parsed.cc == cc.address)
        #expect(received.parsed.bcc == nil)
        #expect(received.parsed.messageID == "<\(result.messageID)>")
        #expect(received.parsed.mimeVersion == "1.0")
        #expect(received.parsed.date != nil)
        #expect(received.parsed.contentType == "multipart/alternative")
        #expect(received.parsed.parts?.map(\.contentType) == ["text/plain", "text/html"])
        #expect(received.parsed.parts?.allSatisfy { $0.charset == "utf-8" } == true)
        #expect(received.part("text/plain") == message.text)
        #expect(received.part("text/html")?.trimmingCharacters(in: .newlines) == message.html)
        // What travelled is 7-bit clean: every non-ASCII character was encoded.
        #expect(try received.raw().allSatisfy { $0 < 0x80 })
    }

    @Test("lines starting with '.' survive (dot-stuffing), a lone '.' line does not end the message")
    func dotStuffing() async throws {
        let to = TestSMTP.uniqueAddress()
        let text = ".\n.. two dots\n.leading dot\nmiddle . dot\n.\nlast line"
        let message = SMTPMessage(from: "orders@shop.example", to: [to], subject: "Dots", text: text)
        try await withClient(try TestSMTP.configuration(TestSMTP.url)) { client in
            try await client.send(message)
        }
        let received = try await TestSMTP.received(by: "plain", for: to)
        #expect(received.part("text/plain") == text + "\n")
    }

    @Test("prepared bytes: bare LF and CR become CRLF, dotted lines are stuffed")
    func rawData() async throws {
        let to = TestSMTP.uniqueAddress()
        let data = Array("Subject: raw\nFrom: a@shop.example\n\nfirst\r.second\n..third\nlast".utf8)
        let reply = try await withClient(try TestSMTP.configuration(TestSMTP.url)) { client in
            try await client.send(data, envelope: SMTPEnvelope(sender: "a@shop.example", recipients: [to]))
        }
        #expect(reply.text.contains("queued"))
        let received = try await TestSMTP.received(by: "plain", for: to)
        let raw = String(decoding: try received.raw(), as: UTF8.self)
        #expect(raw == "Subject: raw\r\nFrom: a@shop.example\r\n\r\nfirst\r\n.second\r\n..third\r\nlast\r\n")
    }

    @Test("header injection is refused before anything is sent")
    func headerInjection() async throws {
        let to = TestSMTP.uniqueAddress()
        let victim = TestSMTP.uniqueAddress("victim")
        try await withClient(try TestSMTP.configuration(TestSMTP.url)) { client in
            let message = SMTPMessage(from: "orders@shop.example", to: [to], subject: "Hi\r\nBcc: \(victim.address)", text: "x")
            let error = await smtpError { try await client.send(message) }
            #expect(error == .invalidHeader(name: "Subject", reason: "contains a line break (CR or LF)"))
            #expect(error?.isTransient == false)

            let smuggled = SMTPAddress("\(to.address)>\r\nRCPT TO:<\(victim.address)")
            let addressError = await smtpError {
                try await client.send(SMTPMessage(from: "orders@shop.example", to: [smuggled], subject: "Hi", text: "x"))
            }
            guard case .invalidAddress? = addressError else {
                Issue.record("expected invalidAddress, got \(String(describing: addressError))")
                return
            }
            #expect(await client.poolStatistics.open == 0)
        }
        #expect(try await TestSMTP.nothingReceived(by: "plain", for: to))
        #expect(try await TestSMTP.nothingReceived(by: "plain", for: victim))
    }

    @Test("a refused recipient: permanent 550 or transient 451, nobody gets the message, the session goes on")
    func refusedRecipients() async throws {
        let good = TestSMTP.uniqueAddress("good")
        try await withClient(try TestSMTP.configuration(TestSMTP.url, maximumConnections: 1)) { client in
            let permanent = await smtpError {
                try await client.send(
                    SMTPMessage(from: "orders@shop.example", to: [good, TestSMTP.uniqueAddress("reject-permanent")], subject: "x", text: "x")
                )
            }
            #expect(permanent?.replyCode == 550)
            #expect(permanent?.isTransient == false)
            if case .rejected(let command, _)? = permanent {
                #expect(command.hasPrefix("RCPT TO:<reject-permanent-"))
            } else {
                Issue.record("expected rejected, got \(String(describing: permanent))")
            }

            let transient = await smtpError {
                try await client.send(SMTPMessage(from: "orders@shop.example", to: [TestSMTP.uniqueAddress("reject-transient")], subject: "x", text: "x"))
            }
            #expect(transient?.replyCode == 451)
            #expect(transient?.isTransient == true)

            // The same session carries the next message.
            let after = TestSMTP.uniqueAddress("after")
            try await client.send(SMTPMessage(from: "orders@shop.example", to: [after], subject: "after", text: "x"))
            #expect(await client.poolStatistics.open == 1)
            let received = try await TestSMTP.received(by: "plain", for: after)
            #expect(received.recipients == [after.address])
        }
        #expect(try await TestSMTP.nothingReceived(by: "plain", for: good))
    }

    @Test("a refused only recipient over STARTTLS and AUTH is a 550 at once, and the session goes on")
    func refusedOnlyRecipientWithAuth() async throws {
        try await withClient(try TestSMTP.configuration(TestSMTP.authURL, maximumConnections: 1)) { client in
            let permanent = await smtpError {
                try await client.send(SMTPMessage(from: "orders@shop.example", to: [TestSMTP.uniqueAddress("reject-permanent")], subject: "x", text: "x"))
            }
            #expect(permanent?.replyCode == 550)
            let after = TestSMTP.uniqueAddress("after")
            try await client.send(SMTPMessage(from: "orders@shop.example", to: [after], subject: "after", text: "x"))
            #expect(try await TestSMTP.received(by: "auth", for: after).recipients == [after.address])
        }
    }

    @Test("connection refused is a transient error")
    func connectionRefused() async throws {
        var configuration = try TestSMTP.configuration(TestSMTP.url)
        configuration.port = 1  // nothing listens there
        try await withClient(configuration) { client in
            let error = await smtpError {
                try await client.send(SMTPMessage(from: "a@shop.example", to: ["b@example.com"], subject: "x", text: "x"))
            }
            guard case .connectionRefused? = error else {
                Issue.record("expected connectionRefused, got \(String(describing: error))")
                return
            }
            #expect(error?.isTransient == true)
        }
    }
}
