import EmporiumTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Payments
import Testing

/// The real servers the notifications' tests talk to: the SMTP test servers of
/// `scripts/services/smtp.sh` (`EMPORIUM_TEST_SMTP_*`), a plain SMTP server of the test's own
/// that it starts late (the mail server down, then back), and the Python webhook receiver of
/// `scripts/services/webhook_receiver.py`, which checks signatures with Python's `hmac`.
enum NotificationsTestSupport {
    private static let environment = ProcessInfo.processInfo.environment
    private static func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

    static let authURL = variable("EMPORIUM_TEST_SMTP_AUTH_URL")
    static let caFile = variable("EMPORIUM_TEST_SMTP_CA_FILE")
    static let messagesFolder = variable("EMPORIUM_TEST_SMTP_MESSAGES")
    static let python = variable("EMPORIUM_TEST_SMTP_PYTHON")
    /// The Python that runs the receiver script (standard library only): the SMTP servers' venv
    /// when set, else `python3` from the PATH.
    static var pythonForScripts: String {
        if let python { return python }
        let paths = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/python3" }
        return paths.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3"
    }
    static let script = variable("EMPORIUM_TEST_SMTP_SCRIPT")
    /// Whether the tests run: servers configured, or required (`EMPORIUM_TEST_REQUIRE_SMTP=1`, then they fail).
    static let isEnabled = authURL != nil || environment["EMPORIUM_TEST_REQUIRE_SMTP"] == "1"
    static let skipReason: Comment = "needs the SMTP test servers: source scripts/services/smtp.sh && smtp_start \"$(mktemp -d)\""

    /// The repository's `scripts/services`.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/services")

    /// The settings of a platform whose notifications mail through the STARTTLS + AUTH test
    /// server and retry within seconds.
    static func mailSettings(smtpURL: String? = nil, maxAttempts: Int = 3) throws -> [String: String] {
        [
            "notifications.smtpUrl": try smtpURL ?? #require(authURL, "EMPORIUM_TEST_SMTP_AUTH_URL not set"),
            "notifications.smtpCaFile": try #require(caFile, "EMPORIUM_TEST_SMTP_CA_FILE not set"),
            "notifications.pollInterval": "1", "notifications.retryBase": "1", "notifications.retryMax": "2",
            "notifications.maxAttempts": "\(maxAttempts)",
        ]
    }

    /// A unique address at the test domain; `prefix` steers the test server (`reject-permanent`).
    static func address(_ prefix: String = "buyer") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
    }

    /// The messages `server` (a subfolder: `auth`, `plain`) received for `address`, as the
    /// server's JSON records (`parsed.subject`, `parsed.parts[].content`, `tls`, `auth_user`).
    static func messages(in folder: String, server: String, to address: String) throws -> [[String: Any]] {
        let directory = URL(fileURLWithPath: folder).appendingPathComponent(server)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as? [String: Any]
            guard let recipients = record?["rcpt_tos"] as? [String], recipients.contains(address) else { return nil }
            return record
        }
    }

    /// The text of every part of a received message.
    static func text(of message: [String: Any]) -> String {
        let parsed = message["parsed"] as? [String: Any] ?? [:]
        let parts = parsed["parts"] as? [[String: Any]] ?? []
        return ([parsed["subject"] as? String ?? ""] + parts.map { $0["content"] as? String ?? "" }).joined(separator: "\n")
    }

    /// Waits (up to a minute) for `check`.
    static func eventually(_ what: Comment, _ check: () async throws -> Bool) async throws {
        for _ in 0..<600 {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting: \(what)")
    }
}

/// A server process a test starts and stops (the SMTP server it brings back, the webhook
/// receiver), which writes FILE once it listens.
final class TestServerProcess: Sendable {
    let process: Process
    let folder: URL

    private init(process: Process, folder: URL) {
        self.process = process
        self.folder = folder
    }

    /// Starts `executable arguments…` and waits (at most 15 s, without holding a thread of the
    /// concurrency pool) for `ready` to appear.
    static func start(_ executable: String, _ arguments: [String], folder: URL, ready: URL) async throws -> TestServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestProcess.launch(process)
        let server = TestServerProcess(process: process, folder: folder)
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: ready.path) && process.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard FileManager.default.fileExists(atPath: ready.path) else {
            server.stop()
            throw TestServerError(description: "\(executable) \(arguments.joined(separator: " ")) did not start")
        }
        return server
    }

    /// Ends the server (SIGKILL: nothing of it needs a clean exit) and waits, in steps of 10 ms
    /// and at most 5 s, for it to be gone. Foundation's `waitUntilExit` is not used: on Linux it
    /// can wait forever.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<500 where process.isRunning {
            usleep(10_000)
        }
    }

    deinit { stop() }

    /// A plain SMTP server on `port`, writing to `folder/plain`.
    static func smtp(port: Int, folder: URL) async throws -> TestServerProcess {
        let python = try #require(NotificationsTestSupport.python, "EMPORIUM_TEST_SMTP_PYTHON not set (smtp.sh exports it)")
        let script = try #require(NotificationsTestSupport.script, "EMPORIUM_TEST_SMTP_SCRIPT not set (smtp.sh exports it)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ready = folder.appendingPathComponent("ready")
        return try await start(python, [script, "--plain", "\(port)", "--messages", folder.path, "--ready", ready.path], folder: folder, ready: ready)
    }

    /// The webhook receiver on a free port (``port``).
    static func webhookReceiver(folder: URL) async throws -> (server: TestServerProcess, port: Int) {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("status"), withIntermediateDirectories: true)
        let ready = folder.appendingPathComponent("ready")
        let script = NotificationsTestSupport.scripts.appendingPathComponent("webhook_receiver.py").path
        let server = try await start(
            NotificationsTestSupport.pythonForScripts, [script, "serve", "--dir", folder.path, "--ready", ready.path], folder: folder, ready: ready)
        try await Task.sleep(for: .milliseconds(50))
        let port = Int(try String(contentsOf: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return (server, port)
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var description: String
}

/// What the webhook receiver recorded.
struct WebhookRequests {
    let folder: URL

    /// Every request to `/<name>`, oldest first, as recorded (`headers`, `body`, `verified`, `status`).
    func to(_ name: String) throws -> [(file: URL, record: [String: Any])] {
        let directory = folder.appendingPathComponent("requests")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().compactMap { file in
            let url = directory.appendingPathComponent(file)
            guard let record = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], record["name"] as? String == name
            else { return nil }
            return (url, record)
        }
    }

    /// Runs the receiver's independent check on a recorded request; true when it accepts it.
    func verify(_ file: URL, secret: String, tamper: Bool = false, now: Double? = nil) async throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: NotificationsTestSupport.pythonForScripts)
        var arguments = [NotificationsTestSupport.scripts.appendingPathComponent("webhook_receiver.py").path, "verify", "--secret", secret, "--request", file.path]
        if tamper { arguments.append("--tamper") }
        if let now { arguments += ["--now", "\(now)"] }
        process.arguments = arguments
        try TestProcess.launch(process)
        for _ in 0..<400 where process.isRunning {
            try await Task.sleep(for: .milliseconds(25))
        }
        return !process.isRunning && process.terminationStatus == 0
    }
}
