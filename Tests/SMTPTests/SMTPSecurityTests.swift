import Foundation
import SMTP
import Testing

/// STARTTLS, implicit TLS, certificate checks and AUTH against the aiosmtpd test servers.
@Suite("SMTP TLS and authentication", .enabled(if: TestSMTP.isEnabled, TestSMTP.skipReason), .timeLimit(.minutes(1)))
struct SMTPSecurityTests {
    private func message(to recipient: SMTPAddress) -> SMTPMessage {
        SMTPMessage(from: "orders@shop.example", to: [recipient], subject: "Secure", text: "sent over TLS")
    }

    @Test("starttls=required upgrades the session; the server saw TLS")
    func startTLSRequired() async throws {
        let configuration = try TestSMTP.configuration(TestSMTP.startTLSURL)
        #expect(configuration.security == .startTLS)
        let to = TestSMTP.uniqueAddress()
        let connection = try await SMTPConnection.connect(configuration: configuration)
        #expect(connection.isEncrypted)
        #expect(!connection.capabilities.supportsStartTLS)  // the EHLO after TLS no longer offers it
        try await connection.send(message(to: to))
        await connection.quit()
        let received = try await TestSMTP.received(by: "starttls", for: to)
        #expect(received.tls)
        #expect(received.part("text/plain") == "sent over TLS\n")
    }

    @Test("opportunistic STARTTLS: used when offered, plain text when not")
    func opportunistic() async throws {
        var configuration = try TestSMTP.configuration(TestSMTP.startTLSURL)
        configuration.security = .startTLSIfAvailable
        let secured = TestSMTP.uniqueAddress()
        try await sendOnce(configuration, message(to: secured))
        #expect(try await TestSMTP.received(by: "starttls", for: secured).tls)

        var plain = try TestSMTP.configuration(TestSMTP.url)
        plain.security = .startTLSIfAvailable
        let unsecured = TestSMTP.uniqueAddress()
        try await sendOnce(plain, message(to: unsecured))
        #expect(try await TestSMTP.received(by: "plain", for: unsecured).tls == false)
    }

    @Test("starttls=required against a server without STARTTLS fails clearly and sends nothing")
    func requiredButNotOffered() async throws {
        var configuration = try TestSMTP.configuration(TestSMTP.url)
        configuration.security = .startTLS
        let to = TestSMTP.uniqueAddress()
        let error = await smtpError {
            try await sendOnce(configuration, message(to: to))
        }
        #expect(error == .startTLSNotOffered)
        #expect(error?.isTransient == false)
        #expect(error.map { "\($0)" } == "the SMTP server does not offer STARTTLS, which is required")
        #expect(try await TestSMTP.nothingReceived(by: "plain", for: to))
    }

    @Test("certificates are verified by default: an untrusted CA or another host name fails")
    func verification() async throws {
        var untrusted = try TestSMTP.configuration(TestSMTP.startTLSURL)
        untrusted.tls.trustRoots = .system
        let to = TestSMTP.uniqueAddress()
        let error = await smtpError {
            try await sendOnce(untrusted, message(to: to))
        }
        guard case .tlsFailed? = error else {
            Issue.record("expected tlsFailed, got \(String(describing: error))")
            return
        }
        #expect(error?.isTransient == false)

        #expect("\(error!)".contains("not trusted"))
        // The certificate names localhost only.
        var wrongName = try TestSMTP.configuration(TestSMTP.startTLSURL)
        wrongName.tls.serverName = "mail.example.com"
        let nameError = await smtpError { try await sendOnce(wrongName, message(to: to)) }
        guard case .tlsFailed? = nameError else {
            Issue.record("expected tlsFailed, got \(String(describing: nameError))")
            return
        }
        #expect("\(nameError!)".contains("mail.example.com"))
        var byAddress = try TestSMTP.configuration(TestSMTP.startTLSURL)
        byAddress.host = "127.0.0.1"
        let addressError = await smtpError { try await sendOnce(byAddress, message(to: to)) }
        guard case .tlsFailed? = addressError else {
            Issue.record("expected tlsFailed, got \(String(describing: addressError))")
            return
        }
        #expect(try await TestSMTP.nothingReceived(by: "starttls", for: to))

        // Connecting to the address but checking the name the certificate carries works.
        byAddress.tls.serverName = "localhost"
        let viaName = TestSMTP.uniqueAddress()
        try await sendOnce(byAddress, message(to: viaName))
        #expect(try await TestSMTP.received(by: "starttls", for: viaName).tls)

        // Checking the chain only accepts another name (not the default).
        var chainOnly = wrongName
        chainOnly.tls.verification = .noHostnameVerification
        let chainChecked = TestSMTP.uniqueAddress()
        try await sendOnce(chainOnly, message(to: chainChecked))
        #expect(try await TestSMTP.received(by: "starttls", for: chainChecked).tls)
    }

    @Test("AUTH PLAIN after STARTTLS with the right password")
    func authPlain() async throws {
        let configuration = try TestSMTP.configuration(TestSMTP.authURL)
        let to = TestSMTP.uniqueAddress()
        let connection = try await SMTPConnection.connect(configuration: configuration)
        #expect(connection.isEncrypted)
        #expect(connection.isAuthenticated)
        #expect(connection.capabilities.authenticationMechanisms.contains("PLAIN"))
        try await connection.send(message(to: to))
        await connection.quit()
        let received = try await TestSMTP.received(by: "auth", for: to)
        #expect(received.authenticatedUser == configuration.username)
        #expect(received.tls)
    }

    @Test("AUTH LOGIN when the server offers only that")
    func authLogin() async throws {
        let configuration = try TestSMTP.configuration(TestSMTP.loginURL)
        let to = TestSMTP.uniqueAddress()
        try await sendOnce(configuration, message(to: to))
        let received = try await TestSMTP.received(by: "login", for: to)
        #expect(received.authenticatedUser == configuration.username)
    }

    @Test("a wrong password is a permanent authentication error carrying the server's 535", arguments: ["auth", "login"])
    func wrongPassword(server: String) async throws {
        var configuration = try TestSMTP.configuration(server == "auth" ? TestSMTP.authURL : TestSMTP.loginURL)
        configuration.password = "wrong-password"
        let to = TestSMTP.uniqueAddress()
        let error = await smtpError {
            try await sendOnce(configuration, message(to: to))
        }
        guard case .authenticationFailed(let reply)? = error else {
            Issue.record("expected authenticationFailed, got \(String(describing: error))")
            return
        }
        #expect(reply.code == 535)
        #expect(reply.enhancedStatusCode == "5.7.8")
        #expect(error?.isTransient == false)
        #expect(!"\(error!)".contains("wrong-password"))
        #expect(try await TestSMTP.nothingReceived(by: server, for: to))
    }

    @Test("without credentials a server requiring AUTH refuses the mail with a permanent error")
    func missingCredentials() async throws {
        var configuration = try TestSMTP.configuration(TestSMTP.authURL)
        configuration.username = nil
        configuration.password = nil
        let error = await smtpError {
            try await sendOnce(configuration, message(to: TestSMTP.uniqueAddress()))
        }
        #expect(error?.replyCode == 530)
        #expect(error?.isTransient == false)
    }

    @Test("credentials are not sent over a server without STARTTLS unless starttls=never")
    func noPlaintextPasswords() async throws {
        var configuration = try TestSMTP.configuration(TestSMTP.url)
        configuration.security = .startTLSIfAvailable
        configuration.username = "someone"
        configuration.password = "secret"
        let error = await smtpError {
            try await sendOnce(configuration, message(to: TestSMTP.uniqueAddress()))
        }
        #expect(error == .startTLSNotOffered)

        // starttls=never: the plain server offers no AUTH at all, which is said clearly.
        configuration.security = .plaintext
        let plainError = await smtpError {
            try await sendOnce(configuration, message(to: TestSMTP.uniqueAddress()))
        }
        #expect(plainError == .authenticationNotSupported(offered: []))
    }

    @Test("smtps:// (implicit TLS) with AUTH")
    func implicitTLS() async throws {
        let configuration = try TestSMTP.configuration(TestSMTP.smtpsURL)
        #expect(configuration.security == .implicitTLS)
        let to = TestSMTP.uniqueAddress()
        try await sendOnce(configuration, message(to: to))
        let received = try await TestSMTP.received(by: "smtps", for: to)
        #expect(received.tls)
        #expect(received.authenticatedUser == configuration.username)
    }
}
