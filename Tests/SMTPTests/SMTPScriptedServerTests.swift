import SMTP
import Synchronization
import Testing

/// Client behaviour that needs a server misbehaving on demand: a stand-in on loopback.
@Suite("SMTP client against a scripted server", .timeLimit(.minutes(1)))
struct SMTPScriptedServerTests {
    private let message = SMTPMessage(from: "orders@shop.example", to: ["ada@example.com"], subject: "Scripted", text: "Hello")

    @Test("a server that does not know EHLO gets HELO, and the mail still goes")
    func heloFallback() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            if case .command(let line) = input, line.hasPrefix("EHLO") { return .reply("500 5.5.1 what?") }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        let connection = try await SMTPConnection.connect(configuration: server.configuration())
        #expect(connection.capabilities == SMTPCapabilities())
        try await connection.send(message)
        await connection.quit()
        let commands = server.commands
        #expect(commands.prefix(4) == ["EHLO client.test", "HELO client.test", "MAIL FROM:<orders@shop.example>", "RCPT TO:<ada@example.com>"])
        #expect(commands.suffix(2) == ["DATA", "QUIT"])
    }

    @Test("MAIL FROM carries SIZE when the server announces it")
    func sizeParameter() async throws {
        let server = try await ScriptedSMTPServer.start()
        defer { Task { await server.stop() } }
        try await sendOnce(server.configuration(), message)
        let mail = try #require(server.commands.first { $0.hasPrefix("MAIL FROM") })
        #expect(mail.hasPrefix("MAIL FROM:<orders@shop.example> SIZE="))
        let size = try #require(Int(mail.split(separator: "=").last ?? ""))
        let messages = server.inputs.compactMap { if case .message(let text) = $0 { text } else { nil } }
        // The announced size is that of the data on the wire (with CRLFs and the final dot).
        #expect(size == (messages.first?.utf8.count ?? 0) + 5)
    }

    @Test("a message over the announced SIZE limit fails before MAIL FROM")
    func tooLarge() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            if case .command(let line) = input, line.hasPrefix("EHLO") { return .reply("250-scripted.test", "250 SIZE 200") }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        var large = message
        large.text = String(repeating: "long text ", count: 100)
        let error = await smtpError { try await sendOnce(server.configuration(), large) }
        guard case .messageTooLarge(let size, let limit)? = error else {
            Issue.record("expected messageTooLarge, got \(String(describing: error))")
            return
        }
        #expect(size > 1000)
        #expect(limit == 200)
        #expect(error?.isTransient == false)
        #expect(!server.commands.contains { $0.hasPrefix("MAIL") })
    }

    @Test("a refusing greeting: 554 is permanent, 421 transient", arguments: ["554 5.3.2 no service for you", "421 4.3.2 too busy"])
    func greetingRefused(greeting: String) async throws {
        let server = try await ScriptedSMTPServer.start(greeting: .reply(greeting))
        defer { Task { await server.stop() } }
        let error = await smtpError { try await sendOnce(server.configuration(), message) }
        guard case .rejected(let command, let reply)? = error else {
            Issue.record("expected rejected, got \(String(describing: error))")
            return
        }
        #expect(command.contains("greeting"))
        #expect(reply.code == Int(greeting.prefix(3)))
        #expect(error?.isTransient == greeting.hasPrefix("4"))
    }

    @Test("a silent server: the reply timeout closes the connection, as a transient error")
    func replyTimeout() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            if case .command(let line) = input, line.hasPrefix("MAIL") { return .silence }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.commandTimeout = .seconds(2)  // long enough for a busy machine to answer EHLO
        try await withClient(configuration) { client in
            let started = ContinuousClock.now
            let error = await smtpError { try await client.send(message) }
            #expect(ContinuousClock.now - started < .seconds(10))
            guard case .replyTimeout(let command, _)? = error else {
                Issue.record("expected replyTimeout, got \(String(describing: error))")
                return
            }
            #expect(command == "MAIL FROM:<orders@shop.example>")
            #expect(error?.isTransient == true)
            #expect(await client.poolStatistics.open == 0)
        }
    }

    @Test("a silent greeting times out too")
    func greetingTimeout() async throws {
        let server = try await ScriptedSMTPServer.start(greeting: .silence)
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.commandTimeout = .milliseconds(300)
        let error = await smtpError { _ = try await SMTPConnection.connect(configuration: configuration) }
        #expect(error == .replyTimeout(command: "the greeting", timeout: .milliseconds(300)))
    }

    @Test("bytes sent after the 220 to STARTTLS are refused (no plain-text injection into the TLS session)")
    func startTLSInjection() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            switch input {
            case .command(let line) where line.hasPrefix("EHLO"): return .reply("250-scripted.test", "250 STARTTLS")
            case .command("STARTTLS"): return .bytes("220 go ahead\r\n250-injected\r\n")
            default: return ScriptedSMTPServer.standard(input)
            }
        }
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.security = .startTLS
        let error = await smtpError { _ = try await SMTPConnection.connect(configuration: configuration) }
        guard case .protocolError(let detail)? = error else {
            Issue.record("expected protocolError, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("STARTTLS"))
    }

    @Test("STARTTLS answered 454: required fails (transient), opportunistic carries on in plain text")
    func startTLSRefused() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            switch input {
            case .command(let line) where line.hasPrefix("EHLO"): return .reply("250-scripted.test", "250 STARTTLS")
            case .command("STARTTLS"): return .reply("454 4.7.0 TLS not available")
            default: return ScriptedSMTPServer.standard(input)
            }
        }
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.security = .startTLS
        let error = await smtpError { try await sendOnce(configuration, message) }
        #expect(error?.replyCode == 454)
        #expect(error?.isTransient == true)
        #expect(!server.commands.contains { $0.hasPrefix("MAIL") })

        configuration.security = .startTLSIfAvailable
        try await sendOnce(configuration, message)
        #expect(server.commands.contains { $0.hasPrefix("MAIL") })

        // With credentials, opportunistic does not mean sending them in plain text.
        configuration.username = "user"
        configuration.password = "pass"
        let withCredentials = await smtpError { try await sendOnce(configuration, message) }
        #expect(withCredentials?.replyCode == 454)
        #expect(!server.commands.contains { $0.hasPrefix("AUTH") })
    }

    @Test("the message refused after its data (554): permanent, and the session takes the next one")
    func dataRefused() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            if case .message(let text) = input, text.contains("spam") { return .reply("554 5.7.1 looks like spam") }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        try await withClient(server.configuration()) { client in
            var spam = message
            spam.text = "buy spam now"
            let error = await smtpError { try await client.send(spam) }
            #expect(error == .rejected(command: "the message data", reply: SMTPReply(code: 554, "5.7.1 looks like spam")))
            try await client.send(message)
        }
        #expect(server.connections == 1)
        // RSET before the reused session's next transaction.
        #expect(server.commands.filter { $0 == "RSET" }.count == 1)
    }

    @Test("a temporary AUTH failure (454) is transient")
    func authTemporaryFailure() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            switch input {
            case .command(let line) where line.hasPrefix("EHLO"): return .reply("250-scripted.test", "250 AUTH PLAIN LOGIN")
            case .command(let line) where line.hasPrefix("AUTH PLAIN "): return .reply("454 4.7.0 temporary authentication failure")
            default: return ScriptedSMTPServer.standard(input)
            }
        }
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.username = "user"
        configuration.password = "pass"
        let error = await smtpError { try await sendOnce(configuration, message) }
        guard case .authenticationFailed(let reply)? = error else {
            Issue.record("expected authenticationFailed, got \(String(describing: error))")
            return
        }
        #expect(reply.code == 454)
        #expect(error?.isTransient == true)
        // PLAIN carries "\0user\0pass" in base64.
        #expect(server.commands.contains("AUTH PLAIN AHVzZXIAcGFzcw=="))
    }

    @Test("a server that announces its shutdown (421) while idle: the next message gets a new session")
    func unsolicitedShutdown() async throws {
        let messages = Atomic<Int>(0)
        let server = try await ScriptedSMTPServer.start { input in
            // After the first message, say goodbye unasked.
            if case .message = input, messages.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                return .reply("250 2.0.0 queued", "421 4.4.2 shutting down")
            }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        try await withClient(server.configuration()) { client in
            try await client.send(message)
            try await client.send(message)
            #expect(await client.poolStatistics.open == 1)
        }
        #expect(server.connections == 2)
    }

    @Test("all connections busy: a message waits, and fails with leaseTimeout when none frees up in time")
    func leaseTimeout() async throws {
        let server = try await ScriptedSMTPServer.start { input in
            if case .message = input { return .delayed(.seconds(2), "250 2.0.0 queued slowly") }
            return ScriptedSMTPServer.standard(input)
        }
        defer { Task { await server.stop() } }
        var configuration = server.configuration()
        configuration.pool = SMTPConfiguration.Pool(maximumConnections: 1, leaseTimeout: .milliseconds(200))
        try await withClient(configuration) { client in
            let message = self.message
            async let slow: SMTPSendResult = client.send(message)
            var leased = 0
            for _ in 0..<100 where leased == 0 {
                try await Task.sleep(for: .milliseconds(20))
                leased = await client.poolStatistics.leased
            }
            #expect(leased == 1)
            let error = await smtpError { try await client.send(message) }
            #expect(error == .leaseTimeout(.milliseconds(200)))
            #expect(error?.isTransient == true)
            #expect(try await slow.reply.code == 250)
        }
    }
}
