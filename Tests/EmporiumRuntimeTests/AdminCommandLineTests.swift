import EmporiumTestSupport
import Foundation
import SQLKit
import Storage
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `emporium admin …` as an operator runs it, next to a running server on the same data.
@Suite("emporium admin")
struct AdminCommandLineTests {
    static let environment = ["EMPORIUM_AUTH_BCRYPT_COST": "4"]

    static func request(_ method: String, _ url: String, json: String? = nil, authorization: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    @Test("create-user while serving, the admin logs in and reads the audit log; verify-audit names an altered entry; rotate-data-key re-encrypts")
    func adminLifecycle() async throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputFile = directory.appendingPathComponent("stdout")
        let server = try CommandLineTests.start(
            ["serve", "--port", "0", "--data-dir", directory.path], environment: Self.environment,
            output: outputFile, error: directory.appendingPathComponent("stderr")
        )
        defer { if server.isRunning { server.terminate() } }
        var baseURL: String?
        for _ in 0..<600 where baseURL == nil && server.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
            for line in output.split(separator: "\n") where line.contains("emporium listening") {
                baseURL = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["url"] as? String
            }
        }
        let base = try #require(baseURL, "the server did not start")

        // The embedded key file is readable by its owner only.
        let keyFile = directory.appendingPathComponent("keys.json").path
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        let weak = try CommandLineTests.run(
            ["admin", "create-user", "--email", "boss@example.com", "--password", "short", "--role", "admin", "--data-dir", directory.path],
            environment: Self.environment
        )
        #expect(weak.status != 0)
        #expect(weak.error.contains("12 characters"), "\(weak.error)")
        let created = try CommandLineTests.run(
            ["admin", "create-user", "--email", "boss@example.com", "--password", "a long admin passphrase", "--role", "admin", "--data-dir", directory.path],
            environment: Self.environment
        )
        #expect(created.status == 0, "\(created.error)")
        #expect(created.output.contains("created user"))

        let (status, tokens) = try await Self.request("POST", "\(base)/v1/auth/login", json: #"{"email": "boss@example.com", "password": "a long admin passphrase"}"#)
        #expect(status == 200)
        let authorization = "Bearer " + (try #require(tokens["accessToken"] as? String))
        var actions: [String] = []
        for _ in 0..<600 where !(actions.contains("user_created") && actions.contains("login")) {
            try await Task.sleep(for: .milliseconds(100))
            let (status, page) = try await Self.request("GET", "\(base)/v1/audit", authorization: authorization)
            #expect(status == 200)
            actions = (page["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        }
        #expect(actions.starts(with: ["user_created", "login"]), "\(actions)")
        let (meStatus, me) = try await Self.request("GET", "\(base)/v1/users/me", authorization: authorization)
        #expect(meStatus == 200)
        #expect(me["roles"] as? [String] == ["admin"])

        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()

        let intact = try CommandLineTests.run(["admin", "verify-audit", "--data-dir", directory.path])
        #expect(intact.status == 0, "\(intact.error)")
        #expect(intact.output.contains("intact: 2 entries"), "\(intact.output)")

        let users = directory.appendingPathComponent("users.sqlite").path
        try await TestDatabases.withOpenDatabase(.sqlite(path: users)) { database in
            try await database.transaction { sql in
                try await sql.raw("UPDATE users_audit SET actor = 'mallory' WHERE sequence = 2").run()
            }
        }
        let broken = try CommandLineTests.run(["admin", "verify-audit", "--data-dir", directory.path])
        #expect(broken.status == 1)
        #expect(broken.output.contains("audit entry 2: its content was altered"), "\(broken.output)")

        // A new data key; every sealed value moves to it; the old key stays in the file.
        let before = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keyFile))) as? [String: Any]
        let rotated = try CommandLineTests.run(["admin", "rotate-data-key", "--data-dir", directory.path])
        #expect(rotated.status == 0, "\(rotated.error)")
        #expect(rotated.output.contains("auth: re-encrypted"), "\(rotated.output)")
        #expect(rotated.output.contains("payments: re-encrypted"), "the card vault is covered: \(rotated.output)")
        let after = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keyFile))) as? [String: Any]
        let active = try #require(after?["activeDataKey"] as? String)
        #expect(active != before?["activeDataKey"] as? String)
        #expect((after?["dataKeys"] as? [String: Any])?.count == 2)
        let sealed = try await TestDatabases.withOpenDatabase(.sqlite(path: directory.appendingPathComponent("auth.sqlite").path)) { database in
            try await database.withConnection { sql in
                try await sql.raw("SELECT email AS value FROM auth_accounts UNION ALL SELECT private_key FROM auth_signing_keys").all()
                    .map { try $0.decode(column: "value", as: String.self) }
            }
        }
        #expect(!sealed.isEmpty)
        #expect(sealed.allSatisfy { $0.hasPrefix("v1.\(active).") }, "every value is under the new key")
    }
}
