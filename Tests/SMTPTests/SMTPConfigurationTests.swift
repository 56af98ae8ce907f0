import SMTP
import Testing

@Suite("SMTP configuration from a URL")
struct SMTPConfigurationTests {
    @Test("smtp:// defaults to port 587 and opportunistic STARTTLS")
    func defaults() throws {
        let configuration = try SMTPConfiguration(url: "smtp://mail.example.com")
        #expect(configuration.host == "mail.example.com")
        #expect(configuration.port == 587)
        #expect(configuration.security == .startTLSIfAvailable)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.tls.verification == .full)
        #expect(configuration.tls.trustRoots == .system)
    }

    @Test("credentials (percent-encoded), port and starttls modes")
    func full() throws {
        let configuration = try SMTPConfiguration(url: "smtp://mailer%40shop:p%3Ass%2Fword@relay.example.com:2525?starttls=required")
        #expect(configuration.username == "mailer@shop")
        #expect(configuration.password == "p:ss/word")
        #expect(configuration.port == 2525)
        #expect(configuration.security == .startTLS)
        #expect(try SMTPConfiguration(url: "smtp://h?starttls=opportunistic").security == .startTLSIfAvailable)
        #expect(try SMTPConfiguration(url: "smtp://h:25/?starttls=never").security == .plaintext)
    }

    @Test("smtps:// is implicit TLS on port 465")
    func smtps() throws {
        let configuration = try SMTPConfiguration(url: "SMTPS://u:p@[::1]")
        #expect(configuration.security == .implicitTLS)
        #expect(configuration.port == 465)
        #expect(configuration.host == "::1")
    }

    @Test("timeout sets the connect and command timeouts")
    func timeout() throws {
        let configuration = try SMTPConfiguration(url: "smtp://h?timeout=2.5&starttls=never")
        #expect(configuration.connectTimeout == .milliseconds(2500))
        #expect(configuration.commandTimeout == .milliseconds(2500))
    }

    @Test(
        "invalid URLs name what is wrong",
        arguments: [
            ("http://h", "scheme"),
            ("smtp://", "host"),
            ("smtp://h:0", "port"),
            ("smtp://h:99999", "port"),
            ("smtp://h:abc", "port"),
            ("smtp://h?starttls=sometimes", "starttls"),
            ("smtps://h?starttls=required", "starttls"),
            ("smtp://h?timeout=-1", "timeout"),
            ("smtp://h?verify=no", "unknown parameter"),
            ("smtp://useronly@h", "user:password"),
            ("smtp://h/path", "path"),
            ("smtp://u:p%zz@h", "percent"),
        ]
    )
    func invalid(url: String, mention: String) {
        do {
            _ = try SMTPConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            guard case .invalidURL(_, let reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(reason.contains(mention), "\(reason)")
        }
    }

    @Test("errors never show the password")
    func redacted() {
        do {
            _ = try SMTPConfiguration(url: "smtp://app:topsecret@h:notaport")
            Issue.record("accepted")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
            #expect("\(error)".contains("app:***@h"))
        }
    }
}
