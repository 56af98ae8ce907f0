public import EmporiumKit

/// One entry of the runtime's service table: a service's name, what it needs, and how to make it.
public struct ServiceModule: Sendable {
    /// The name used by `--services` (`catalog`).
    public let name: String
    /// Services that must run in the same process or be reachable before this one starts.
    public let dependencies: [String]
    /// One line for `--list-services`.
    public let summary: String
    /// Whether the service keeps personal data encrypted with the data keys (so a deployment on
    /// PostgreSQL must configure them).
    public let storesPersonalData: Bool
    /// Creates the service from its environment.
    public let make: @Sendable (ServiceEnvironment) async throws -> any EmporiumService

    public init(
        name: String,
        dependencies: [String] = [],
        summary: String,
        storesPersonalData: Bool = false,
        make: @escaping @Sendable (ServiceEnvironment) async throws -> any EmporiumService
    ) {
        self.name = name
        self.dependencies = dependencies
        self.summary = summary
        self.storesPersonalData = storesPersonalData
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
