import Foundation
import Synchronization

/// The folder where the shop's emails arrive: the SMTP test server
/// (`scripts/services/smtp_server.py`) writes each message it accepts as `N.eml` and then, last and
/// atomically, `N.json` with the envelope and the message as Python's email parser read it.
///
/// Other tests may send mail to the same server: a mail drop sees the messages of one recipient.
final class MailDrop: Sendable {
    /// One received message, as the server parsed it.
    struct Message: Sendable {
        var file: String
        var recipients: [String]
        var from: String
        var to: String
        var subject: String
        /// The `text/plain` part, line endings as `\n`.
        var text: String
        var html: String?

        /// What the transcript records of it.
        var json: JSONValue {
            .object(["from": .string(from), "to": .string(to), "subject": .string(subject), "text": .string(text)])
        }
    }

    /// `N.json` as the server writes it (only what the suite reads).
    private struct Record: Decodable {
        struct Parsed: Decodable {
            struct Part: Decodable {
                var content_type: String
                var content: String?
            }

            var subject: String?
            var from: String?
            var to: String?
            var parts: [Part]?
            var defects: [String]?
            var error: String?
        }

        var rcpt_tos: [String]
        var parsed: Parsed
    }

    let folder: URL
    let recipient: String
    /// Files read already (a `.json` file never changes once it is there), and the message when
    /// it was to the recipient: a folder shared with other tests is read once.
    private let read = Mutex<[String: Message?]>([:])

    init(folder: URL, recipient: String) {
        self.folder = folder
        self.recipient = recipient
    }

    /// Every message to the recipient in the folder now, oldest first.
    func messages() throws -> [Message] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.compactMap { name in
            if let known = read.withLock({ $0[name] }) { return known }
            let message = try message(in: name)
            read.withLock { $0[name] = .some(message) }
            return message
        }
    }

    private func message(in name: String) throws -> Message? {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        // Cheap filter first: most messages in a shared folder are other tests'.
        guard data.range(of: Data(recipient.utf8)) != nil else { return nil }
        let record = try JSONDecoder().decode(Record.self, from: data)
        guard record.rcpt_tos.contains(where: { $0.lowercased() == recipient.lowercased() }) else { return nil }
        if let error = record.parsed.error { throw EndToEndFailure("\(name): the server could not parse the message: \(error)") }
        if let defects = record.parsed.defects, !defects.isEmpty { throw EndToEndFailure("\(name): MIME defects \(defects)") }
        let parts = record.parsed.parts ?? []
        return Message(
            file: name, recipients: record.rcpt_tos, from: record.parsed.from ?? "", to: record.parsed.to ?? "",
            subject: record.parsed.subject ?? "",
            text: (parts.first { $0.content_type == "text/plain" }?.content ?? "").replacingOccurrences(of: "\r\n", with: "\n"),
            html: parts.first { $0.content_type == "text/html" }?.content)
    }

    /// Waits until a message to the recipient whose subject is `subject` has arrived, looking
    /// every 100 ms until `deadline`; returns it.
    func waitForMessage(subject: String, within deadline: Duration) async throws -> Message {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            if let message = try messages().first(where: { $0.subject == subject }) { return message }
            guard clock.now < end else {
                let others = try messages().map { "\($0.file): \($0.subject)" }
                throw EndToEndFailure(
                    "no message \"\(subject)\" to \(recipient) in \(folder.path) within \(deadline); the messages to that address: \(others)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
