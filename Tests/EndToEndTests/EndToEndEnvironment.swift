import Foundation
import Testing

/// What the suite runs against, from the environment (`scripts/services/e2e.sh` sets it):
///
/// | variable | |
/// |---|---|
/// | `EMPORIUM_E2E_URL` | the base URL of the shop: a cluster's gateway, or `emporium serve` |
/// | `EMPORIUM_E2E_SUPPORT_EMAIL`, `EMPORIUM_E2E_SUPPORT_PASSWORD` | an account with the role `support` (`emporium admin create-user --role support`) |
/// | `EMPORIUM_E2E_MAIL_DIR` | where the shop's emails arrive: the SMTP test server's folder of `N.json` files (`$EMPORIUM_TEST_SMTP_MESSAGES/plain`) |
/// | `EMPORIUM_E2E_TRANSCRIPT` | optional: a file for the transcript ([Transcript]) |
/// | `EMPORIUM_E2E_MAIL_TIMEOUT` | optional: seconds to wait for each email (60) |
struct EndToEndEnvironment: Sendable {
    var baseURL: String
    var supportEmail: String
    var supportPassword: String
    var mailFolder: URL
    var transcript: URL?
    var mailTimeout: Duration

    private static let variables = ProcessInfo.processInfo.environment

    /// Whether the suite runs: a base URL is set.
    static let isEnabled = variables["EMPORIUM_E2E_URL"].map { !$0.isEmpty } ?? false
    static let skipReason: Comment =
        "the end-to-end suite needs a running shop: set EMPORIUM_E2E_URL (and its support account and mail folder), or run scripts/test"

    /// Reads the variables; a missing one is an error naming it.
    static func load() throws -> EndToEndEnvironment {
        func required(_ name: String) throws -> String {
            guard let value = variables[name], !value.isEmpty else { throw EndToEndFailure("\(name) is not set (see docs/testing.md)") }
            return value
        }
        var base = try required("EMPORIUM_E2E_URL")
        while base.hasSuffix("/") { base.removeLast() }
        let folder = URL(fileURLWithPath: try required("EMPORIUM_E2E_MAIL_DIR"), isDirectory: true)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw EndToEndFailure("EMPORIUM_E2E_MAIL_DIR: \(folder.path) is not a folder")
        }
        return EndToEndEnvironment(
            baseURL: base,
            supportEmail: try required("EMPORIUM_E2E_SUPPORT_EMAIL"),
            supportPassword: try required("EMPORIUM_E2E_SUPPORT_PASSWORD"),
            mailFolder: folder,
            transcript: variables["EMPORIUM_E2E_TRANSCRIPT"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) },
            mailTimeout: .seconds(variables["EMPORIUM_E2E_MAIL_TIMEOUT"].flatMap { Int($0) } ?? 60))
    }
}
