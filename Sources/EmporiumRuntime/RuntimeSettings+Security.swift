public import EmporiumKit
import Foundation
public import Security
public import Storage

extension RuntimeSettings {
    /// Where the embedded mode keeps its generated personal-data keys.
    public var keyFilePath: String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys.json").path
    }

    /// The personal-data keys: the configured ones; else, when a selected service keeps
    /// personal data, the embedded key file (created with permissions 0600 on first use); else
    /// keys of this process only (nothing here encrypts data at rest).
    /// - Parameter services: The selected services that keep personal data.
    /// - Throws: ``ConfigurationError`` for `security.dataKeys` when one of them stores its data
    ///   in PostgreSQL and no keys are configured: every instance must share the keys, which a
    ///   file generated on one machine cannot ensure.
    public func keyMaterial(personalDataServices services: [String]) throws -> KeyMaterial {
        if let configuredKeys { return configuredKeys }
        guard !services.isEmpty else { return .generate() }
        for service in services {
            if case .postgres = try databaseURL(for: service) {
                throw ConfigurationError(
                    key: "security.dataKeys",
                    reason: "is required when a service keeping personal data uses PostgreSQL (\(service) does): every instance must encrypt with the same keys; see docs/configuration.md"
                )
            }
        }
        do {
            return try KeyMaterial.loadOrCreate(at: keyFilePath)
        } catch {
            throw ConfigurationError(key: "data.dir", reason: "\(error)")
        }
    }

    /// What services need for tokens, passwords and personal data.
    /// - Parameter personalDataServices: The selected services that keep personal data.
    public func securitySettings(personalDataServices: [String]) throws -> SecuritySettings {
        let keys = try keyMaterial(personalDataServices: personalDataServices)
        do {
            return try SecuritySettings(issuer: authIssuer, audience: authAudience, bcryptCost: bcryptCost, keys: keys)
        } catch {
            throw ConfigurationError(key: configuredKeys == nil ? "data.dir" : "security.dataKeys", reason: error.description)
        }
    }
}

extension RuntimeSettings {
    /// Where a process without `services.secret` keeps the secret of calls between services.
    public var serviceSecretFilePath: String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("service-secret").path
    }

    /// The credential of calls between services: from `services.secret`, else from
    /// `<data dir>/service-secret` (created with permissions 0600 on first use, so processes
    /// sharing a data directory trust each other without configuration).
    /// - Throws: ``ConfigurationError`` for `data.dir` when the file cannot be read or written.
    public func serviceCredential() throws(ConfigurationError) -> ServiceCredential {
        do {
            let secret = try serviceSecret ?? SecretFile.loadOrCreateBase64(at: serviceSecretFilePath, generate: ServiceCredential.generateSecret)
            return try ServiceCredential(secret: secret)
        } catch {
            throw ConfigurationError(
                key: serviceSecret == nil ? "data.dir" : "services.secret",
                reason: "the secret of calls between services is not usable (\(error)); set services.secret")
        }
    }
}
