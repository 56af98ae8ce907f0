public import EmporiumKit

/// One entry of the runtime's service table: a service's name, what it needs, and how to make it.
public struct ServiceModule: Sendable {
    /// The name used by `--services` (`catalog`).
    public let name: String
    /// Services that must run in the same process or be reachable before this one starts.
    public let dependencies: [String]
    /// One line for `--list-services`.
    public let summary: String
    /// Creates the service from its environment.
    public let make: @Sendable (ServiceEnvironment) async throws -> any EmporiumService

    public init(
        name: String,
        dependencies: [String] = [],
        summary: String,
        make: @escaping @Sendable (ServiceEnvironment) async throws -> any EmporiumService
    ) {
        self.name = name
        self.dependencies = dependencies
        self.summary = summary
        self.make = make
    }
}
