public import EmporiumKit

/// One entry of the runtime's service table: a service's name, what it needs, and how to make it.
public struct ServiceModule: Sendable {
    /// The name used by `--services` (`catalog`).
    public let name: String
    /// Services that must run in the same process (they are pulled into it).
    public let dependencies: [String]
    /// Services this one calls through their contracts: handed over as themselves when they run
    /// in the same process (then made first), else reached over HTTP at `services.<name>.url`.
    /// They are never pulled into the process.
    public let calls: [String]
    /// Services whose public routes this one serves (the gateway): when they share the process
    /// it is made after them; those elsewhere are reached at `services.<name>.url` if set (an
    /// unset one is not a start-up error: its routes answer 503 naming the key).
    public let fronts: [String]
    /// One line for `--list-services`.
    public let summary: String
    /// Whether the service keeps personal data encrypted with the data keys (so a deployment on
    /// PostgreSQL must configure them).
    public let storesPersonalData: Bool
    /// Whether the service keeps data. One that keeps none (the gateway) gets an in-memory
    /// database that it never writes to: no database setting, no migrations, no outbox relay
    /// and no database readiness check.
    public let keepsData: Bool
    /// Creates the service from its environment.
    public let make: @Sendable (ServiceEnvironment) async throws -> any EmporiumService

    public init(
        name: String,
        dependencies: [String] = [],
        calls: [String] = [],
        fronts: [String] = [],
        summary: String,
        storesPersonalData: Bool = false,
        keepsData: Bool = true,
        make: @escaping @Sendable (ServiceEnvironment) async throws -> any EmporiumService
    ) {
        self.name = name
        self.dependencies = dependencies
        self.calls = calls
        self.fronts = fronts
        self.summary = summary
        self.storesPersonalData = storesPersonalData
        self.keepsData = keepsData
        self.make = make
    }

    /// Makes the service from `environment`; a setting of its own that it refuses is reported as
    /// the ``ConfigurationError`` of that key.
    func makeService(_ environment: ServiceEnvironment) async throws -> any EmporiumService {
        do {
            return try await make(environment)
        } catch let error as ServiceSettingError {
            throw ConfigurationError(key: error.key, reason: error.reason)
        }
    }
}
