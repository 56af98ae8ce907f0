import Foundation
import SMTP

/// Sends rendered emails; each failure says whether it may pass.
protocol Mailer: Sendable {
    func send(_ message: SMTPMessage) async throws(MailFailure)
}

/// Why an email was not sent.
struct MailFailure: Error, Equatable {
    var reason: String
    /// Whether a later try may succeed (a 4xx, a network failure, a time-out).
    var isTransient: Bool
}

/// Sends through the SMTP client's pool of connections (`notifications.smtpUrl`).
struct SMTPMailer: Mailer {
    let client: SMTPClient

    func send(_ message: SMTPMessage) async throws(MailFailure) {
        do {
            _ = try await client.send(message)
        } catch let error as SMTPError {
            throw MailFailure(reason: error.description, isTransient: error.isTransient)
        } catch {
            throw MailFailure(reason: "\(error)", isTransient: true)
        }
    }
}

/// Writes each email as an `.eml` file into a folder (`notifications.mailFolder`): the embedded
/// default, so a shop run without a mail server still shows what it would have sent.
struct FileMailer: Mailer {
    let folder: URL

    func send(_ message: SMTPMessage) async throws(MailFailure) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let rendered = try message.render()
            let name = rendered.messageID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
            let file = folder.appendingPathComponent(String(name) + ".eml")
            try Data(rendered.bytes).write(to: file, options: .atomic)
        } catch let error as SMTPError {
            throw MailFailure(reason: error.description, isTransient: error.isTransient)
        } catch {
            throw MailFailure(reason: "could not write the email to \(folder.path): \(error)", isTransient: true)
        }
    }
}
