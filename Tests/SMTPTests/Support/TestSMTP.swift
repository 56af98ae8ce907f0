import Foundation
import SMTP
import Testing

/// The test servers started by `scripts/services/smtp.sh`, found through the environment.
///
/// Without `EMPORIUM_TEST_SMTP_URL` the server tests are skipped, unless
/// `EMPORIUM_TEST_REQUIRE_SMTP=1` (set by `scripts/test`) turns a missing server into a failure.
enum TestSMTP {
    private static let environment = ProcessInfo.processInfo.environment

    private static func variable(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Plain server: no TLS, no AUTH.
    static let url = variable("EMPORIUM_TEST_SMTP_URL")
    /// Offers STARTTLS, no AUTH.
    static let startTLSURL = variable("EMPORIUM_TEST_SMTP_STARTTLS_URL")
    /// STARTTLS, then AUTH (PLAIN and LOGIN) required for mail; the URL carries the credentials.
    static let authURL = variable("EMPORIUM_TEST_SMTP_AUTH_URL")
    /// Like ``authURL`` but offering AUTH LOGIN only.
    static let loginURL = variable("EMPORIUM_TEST_SMTP_LOGIN_URL")
    /// Implicit TLS and AUTH.
    static let smtpsURL = variable("EMPORIUM_TEST_SMTPS_URL")
    /// Plain server that closes connections idle for more than a second.
    static let idleURL = variable("EMPORIUM_TEST_SMTP_IDLE_URL")
    /// The CA that signed the TLS servers' certificate.
    static let caFile = variable("EMPORIUM_TEST_SMTP_CA_FILE")
    /// Where the servers write what they receive, one subfolder per server.
    static let messagesFolder = variable("EMPORIUM_TEST_SMTP_MESSAGES")

    /// Whether the server tests must run, so a missing server fails them.
    static let required = environment["EMPORIUM_TEST_REQUIRE_SMTP"] == "1"
    /// Whether the server tests run: servers are configured, or required (then they fail).
    static let isEnabled = url != nil || required

    static let skipReason: Comment =
        "needs the SMTP test servers: source scripts/services/smtp.sh && smtp_start \"$(mktemp -d)\""

    /// The configuration for one of the URLs above, trusting the test CA.
    static func configuration(_ url: String?, maximumConnections: Int = 2) throws -> SMTPConfiguration {
        var configuration = try SMTPConfiguration(url: try #require(url, "SMTP test server URL not set"))
        configuration.tls.trustRoots = .file(try #require(caFile, "EMPORIUM_TEST_SMTP_CA_FILE not set"))
        configuration.clientName = "emporium-tests.local"
        configuration.commandTimeout = .seconds(10)
        configuration.connectTimeout = .seconds(5)
        configuration.pool = SMTPConfiguration.Pool(maximumConnections: maximumConnections, leaseTimeout: .seconds(10))
        return configuration
    }

    /// An address no other test (or other run) uses, to find this test's message.
    static func uniqueAddress(_ prefix: String = "rcpt", domain: String = "example.com") -> SMTPAddress {
        SMTPAddress("\(prefix)-\(UUID().uuidString.prefix(13).lowercased())@\(domain)")
    }

    /// The message the server `server` received for `recipient`, waiting up to 10 seconds for it.
    static func received(by server: String, for recipient: SMTPAddress) async throws -> ReceivedMessage {
        let messages = try await self.allReceived(by: server, for: recipient, atLeast: 1)
        return try #require(messages.first)
    }

    /// Every message the server `server` received for `recipient`, once there are `count`
    /// (or after 10 seconds, whatever there is).
    static func allReceived(by server: String, for recipient: SMTPAddress, atLeast count: Int) async throws -> [ReceivedMessage] {
        let folder = URL(fileURLWithPath: try #require(messagesFolder, "EMPORIUM_TEST_SMTP_MESSAGES not set")).appendingPathComponent(server)
        let deadline = ContinuousClock.now + .seconds(10)
        var found: [ReceivedMessage] = []
        repeat {
            found = try self.scan(folder, for: recipient.address)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        return found
    }

    /// Whether nothing arrives for `recipient` at `server` within a short while.
    static func nothingReceived(by server: String, for recipient: SMTPAddress) async throws -> Bool {
        let folder = URL(fileURLWithPath: try #require(messagesFolder)).appendingPathComponent(server)
        try await Task.sleep(for: .milliseconds(300))
        return try self.scan(folder, for: recipient.address).isEmpty
    }

    private static func scan(_ folder: URL, for address: String) throws -> [ReceivedMessage] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let message = try JSONDecoder().decode(ReceivedMessage.self, from: data)
            return message.recipients.contains(address) ? message : nil
        }
    }
}

/// One message as the test server stored it.
struct ReceivedMessage: Decodable {
    /// The message as Python's `email` package parsed it.
    struct Parsed: Decodable {
        struct Part: Decodable {
            var contentType: String
            var charset: String?
            var transferEncoding: String?
            var content: String

            enum CodingKeys: String, CodingKey {
                case contentType = "content_type", charset, transferEncoding = "transfer_encoding", content
            }
        }

        var subject: String?
        var from: String?
        var to: String?
        var cc: String?
        var bcc: String?
        var messageID: String?
        var date: String?
        var mimeVersion: String?
        var contentType: String?
        var defects: [String]?
        var parts: [Part]?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case subject, from, to, cc, bcc, messageID = "message_id", date, mimeVersion = "mime_version"
            case contentType = "content_type", defects, parts, error
        }
    }

    var server: String
    var sender: String
    var recipients: [String]
    var tls: Bool
    var authenticatedUser: String?
    /// The client's address and port: one per connection.
    var peer: String
    var emlPath: String
    var parsed: Parsed

    enum CodingKeys: String, CodingKey {
        case server, sender = "mail_from", recipients = "rcpt_tos", tls, authenticatedUser = "auth_user", peer, emlPath = "eml", parsed
    }

    /// The raw bytes the server received (after undoing the dot-stuffing).
    func raw() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: self.emlPath)))
    }

    /// The decoded content of the first part of type `type`, with line breaks as `\n`.
    func part(_ type: String) -> String? {
        self.parsed.parts?.first(where: { $0.contentType == type })?.content.replacingOccurrences(of: "\r\n", with: "\n")
    }
}

/// Runs `body` with a client for `configuration` and closes it afterwards, whatever happens.
@discardableResult
func withClient<Result: Sendable>(
    _ configuration: SMTPConfiguration,
    _ body: @Sendable (SMTPClient) async throws -> Result
) async throws -> Result {
    let client = try SMTPClient(configuration: configuration)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// The error `body` throws, as an ``SMTPError``; records an issue when it throws nothing or
/// something else.
func smtpError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> SMTPError? {
    do {
        try await body()
        Issue.record("expected an SMTPError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as SMTPError {
        return error
    } catch {
        Issue.record("expected an SMTPError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Sends one message with a new client, then closes the client.
func sendOnce(_ configuration: SMTPConfiguration, _ message: SMTPMessage) async throws {
    try await withClient(configuration) { client in
        _ = try await client.send(message)
    }
}
