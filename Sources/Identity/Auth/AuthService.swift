import EmporiumContracts
import Caching
import EmporiumKit
import Foundation
import Logging
import Metrics
import Messaging
import SQLKit
import ServiceLifecycle
import Security
import Storage

/// The auth service: credentials, login with throttling, ES256 access tokens with a rotating
/// key ring (`/.well-known/jwks.json`), refresh-token families with reuse detection.
///
/// It verifies access tokens for every service of its process (``accessTokenAuthenticator``).
/// Roles are owned by the users service; this service keeps a copy for the tokens it issues,
/// updated from `identity.user.roles-changed`.
public struct AuthService: PersonalDataKeeping {
    public let name = "auth"
    public let migrations: [Migration]
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = IdentityOpenAPI.auth

    let store: AuthStore
    let keyStore: SigningKeyStore
    let keys: SigningKeys
    let hasher: PasswordHasher
    private let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
        self.migrations = AuthMigrations.all(security: environment.security)
        self.store = AuthStore(database: environment.database, outbox: environment.outbox, security: environment.security)
        self.keyStore = SigningKeyStore(database: environment.database, security: environment.security)
        self.keys = SigningKeys(store: keyStore, security: environment.security)
        self.hasher = PasswordHasher(cost: environment.security.bcryptCost)
    }

    public var accessTokenAuthenticator: (any AccessTokenAuthenticating)? { keys }

    /// Token responses (and their errors) are never stored by caches.
    public var privatePathPrefixes: [String] { ["/v1/auth"] }

    public var backgroundServices: [any Service] {
        [AuthHousekeeping(keys: keys, store: store, logger: environment.logger)]
    }

    public var eventSubscriptions: [EventSubscription] {
        let store = self.store
        return [
            EventSubscription(types: [IdentityEvents.userRolesChanged]) { event, sql in
                let change = try event.payload(as: UserRolesChangedData.self)
                try await store.setRoles(accountID: change.userId, roles: change.roles, sql)
            }
        ]
    }

    public func addRoutes(to router: ServiceRouter) {
        AuthController(
            store: store, keys: keys, hasher: hasher, security: environment.security,
            passwordChecks: Counter(label: "auth_password_checks_total", factory: environment.metrics)
        ).addRoutes(to: router)
    }

    /// Loads the signing keys (creating the first one in a new database).
    public func prepare() async throws {
        try await keys.reload()
    }

    // MARK: Administration (`emporium admin …`)

    /// Creates an account with `role` (the first administrator), checking the password policy.
    /// - Returns: the new account's id.
    /// - Throws: ``ProblemDetails`` naming the field for a bad email or password, or an error whose
    ///   problem (``ProblemConvertible``) is a 409 when the email has an account.
    public func createUser(email: String, password: String, role: Role) async throws -> String {
        let (email, password) = try IdentityRules.validate(RegistrationRequest(email: email, password: password))
        return try await store.createAccount(email: email, passwordHash: try await hasher.hash(password), roles: [role], createdBy: "admin-cli").id
    }

    /// Retires the active signing key and makes a new one; tokens signed by the old key verify
    /// until they expire. Running processes pick the new key up within 30 seconds.
    /// - Returns: the new key's id.
    public func rotateSigningKey() async throws -> String {
        let id = try await keyStore.rotate().activeKey.id
        try await keys.reload()
        return id
    }

    /// Signs an access token for `userID` with `roles`, checking no credential: for tools and
    /// tests in this process (which holds the keys anyway); no route exposes it.
    public func issueAccessToken(userID: String, roles: Set<Role>, now: Date = .now) async throws -> String {
        try await keys.issueAccessToken(for: Account(id: userID, roles: roles, passwordHash: ""), now: now)
    }

    /// Re-encrypts the auth database's sealed values (emails, signing keys) under the active data key.
    public func reencryptPersonalData() async throws -> Int {
        try await store.reencryptPersonalData() + keyStore.reencrypt()
    }
}
