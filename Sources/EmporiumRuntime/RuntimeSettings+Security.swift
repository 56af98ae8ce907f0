public import EmporiumKit
import Foundation
public import Security
public import Storage

extension RuntimeSettings {
    /// Where the embedded mode keeps its generated personal-data keys.
    public var keyFilePath: String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys.json").path
    }

    /// The personal-data keys: the configured ones, else the embedded key file (created with
    /// permissions 0600 on first use).
    /// - Throws: ``ConfigurationError`` for `security.dataKeys` when a selected service stores its
    ///   data in PostgreSQL and no keys are configured: every instance must share the keys, which
    ///   a file generated on one machine cannot ensure.
    public func keyMaterial(services: [String]) throws -> KeyMaterial {
        if let configuredKeys { return configuredKeys }
        for service in services {
            if case .postgres = try databaseURL(for: service) {
                throw ConfigurationError(
                    key: "security.dataKeys",
                    reason: "is required when a service uses PostgreSQL (\(service) does): every instance must encrypt with the same keys; see docs/configuration.md"
                )
            }
        }
        do {
            return try KeyMaterial.loadOrCreate(at: keyFilePath)
        } catch {
            throw ConfigurationError(key: "data.dir", reason: "\(error)")
        }
    }

    /// What services need for tokens, passwords and personal data, for the `services` selected.
    public func securitySettings(services: [String]) throws -> SecuritySettings {
        let keys = try keyMaterial(services: services)
        do {
            return try SecuritySettings(issuer: authIssuer, audience: authAudience, bcryptCost: bcryptCost, keys: keys)
        } catch {
            throw ConfigurationError(key: configuredKeys == nil ? "data.dir" : "security.dataKeys", reason: error.description)
        }
    }
}
