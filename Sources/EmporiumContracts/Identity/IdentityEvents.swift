import Foundation

/// The events of the identity services (type names are the broker's routing keys).
///
/// Personal data never travels in the clear: the email in ``UserRegisteredData`` is sealed with
/// the platform's data keys (`FieldCipher` with ``UserRegisteredData/emailField``), which every
/// service that may read it is configured with.
public enum IdentityEvents {
    /// An account was created (registration or `emporium admin create-user`); data: ``UserRegisteredData``.
    public static let userRegistered = "identity.user.registered"
    /// A user's roles were changed by an administrator; data: ``UserRolesChangedData``.
    public static let userRolesChanged = "identity.user.roles-changed"
    /// Something the audit log must record happened in the auth service (a login, a failed
    /// login, a revoked token family); data: ``AuditFact``. The users service appends it.
    public static let auditFact = "identity.audit.fact"
}

/// The payload of `identity.user.registered`.
public struct UserRegisteredData: Codable, Sendable, Equatable {
    /// The associated data the email is sealed with.
    public static let emailField = "identity.events.email"

    public var userId: String
    /// The email, sealed with ``FieldCipher`` for ``emailField``.
    public var sealedEmail: String
    public var roles: [String]
    public var registeredAt: String

    public init(userId: String, sealedEmail: String, roles: [String], registeredAt: String) {
        self.userId = userId
        self.sealedEmail = sealedEmail
        self.roles = roles
        self.registeredAt = registeredAt
    }
}

/// The payload of `identity.user.roles-changed`.
public struct UserRolesChangedData: Codable, Sendable, Equatable {
    public var userId: String
    public var roles: [String]
    /// Who changed them (a user id).
    public var changedBy: String

    public init(userId: String, roles: [String], changedBy: String) {
        self.userId = userId
        self.roles = roles
        self.changedBy = changedBy
    }
}

/// One fact for the audit log, as the auth service reports it.
public struct AuditFact: Codable, Sendable, Equatable {
    /// When it happened (ISO 8601).
    public var at: String
    /// Who did it: a user id, or for a failed login the blind index of the email tried.
    public var actor: String
    /// `login`, `login_failed`, `logout`, `token_family_revoked`, `user_created`, …
    public var action: String
    /// What it happened to (a user id, a token family id).
    public var target: String
    /// Details (client address, reason), never a secret or a personal value in the clear.
    public var details: [String: String]

    public init(at: String, actor: String, action: String, target: String, details: [String: String] = [:]) {
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.details = details
    }
}
