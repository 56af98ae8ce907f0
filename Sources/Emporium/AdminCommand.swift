import ArgumentParser
import EmporiumKit
import EmporiumRuntime
import Foundation
import Identity
import Security

/// `emporium admin …`: operator tasks on the identity services' data. Each works while a server
/// runs on the same data (SQLite in WAL mode, or PostgreSQL).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administrative tasks: users, keys, audit log.",
        subcommands: [CreateUser.self, RotateDataKey.self, RotateSigningKey.self, VerifyAudit.self]
    )
}

extension AdminCommand {
    /// `emporium admin create-user --email E --password P --role R`.
    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user",
            abstract: "Create an account with a role (e.g. the first admin).",
            discussion: "The profile appears in the users service as soon as a server relays the account's event (at once if one runs)."
        )

        @OptionGroup var common: CommonOptions
        @Option(help: "The account's email.") var email: String
        @Option(help: "The password (12 to 128 characters, not a common one).") var password: String
        @Option(help: "customer, support, catalog_manager or admin.") var role: String = "customer"

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let (settings, logger) = try await common.settings(extraFlags: ["services": "auth"])
            let (email, password) = (self.email, self.password)
            do {
                let id = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                    guard let auth = services.lazy.compactMap({ $0.service as? AuthService }).first else { throw ValidationError("the auth service is not selected") }
                    return try await auth.createUser(email: email, password: password, role: role)
                }
                print("created user \(id) (\(email)) with role \(role.rawValue)")
            } catch let problem as ProblemDetails {
                throw ValidationError(problem.detail ?? problem.title)
            } catch let error as any ProblemConvertible {
                throw ValidationError(error.problem.detail ?? error.problem.title)
            }
        }
    }

    /// `emporium admin rotate-data-key`.
    struct RotateDataKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-data-key",
            abstract: "Re-encrypt personal data under a new data key.",
            discussion: """
                Embedded mode: adds a new key to <data dir>/keys.json, makes it active and re-encrypts every \
                stored personal value under it (old keys stay in the file). With security.dataKeys configured: \
                re-encrypts under security.activeDataKey (add the new key to every process's configuration first). \
                Restart running processes afterwards so they encrypt with the new key.
                """
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let services = ServiceTable.standard.personalDataServices
            let selection = services.joined(separator: ",")
            var (settings, logger) = try await common.settings(extraFlags: ["services": selection])
            if settings.configuredKeys == nil {
                var material = try settings.keyMaterial(personalDataServices: services)
                let id = material.addActiveDataKey()
                try material.write(to: settings.keyFilePath, replacing: true)
                print("new active data key \(id) in \(settings.keyFilePath)")
            } else {
                settings.services = selection
            }
            let counts = try await MaintenanceRunner(settings: settings, logger: logger).reencryptPersonalData()
            for (service, count) in counts.sorted(by: { $0.key < $1.key }) {
                print("\(service): re-encrypted \(count) values")
            }
            print("restart running emporium processes so that they encrypt with the new key")
        }
    }

    /// `emporium admin rotate-signing-key`.
    struct RotateSigningKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-signing-key",
            abstract: "Retire the access-token signing key and make a new one.",
            discussion: "Tokens signed with the old key stay valid until they expire; running processes load the new key within 30 seconds."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (settings, logger) = try await common.settings(extraFlags: ["services": "auth"])
            let id = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                guard let auth = services.lazy.compactMap({ $0.service as? AuthService }).first else { throw ValidationError("the auth service is not selected") }
                return try await auth.rotateSigningKey()
            }
            print("new signing key \(id)")
        }
    }

    /// `emporium admin verify-audit`: exits 1 naming the first altered entry.
    struct VerifyAudit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-audit",
            abstract: "Check the audit log's hash chain; name the first entry that was altered, removed or moved."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let (settings, logger) = try await common.settings(extraFlags: ["services": "users"])
            let (count, problem) = try await MaintenanceRunner(settings: settings, logger: logger).withMigratedServices { services in
                guard let users = services.lazy.compactMap({ $0.service as? UsersService }).first else { throw ValidationError("the users service is not selected") }
                return try await users.verifyAudit()
            }
            if let problem {
                print("audit log BROKEN after \(count) intact entries: \(problem)")
                throw ExitCode(1)
            }
            print("audit log intact: \(count) entries")
        }
    }
}
