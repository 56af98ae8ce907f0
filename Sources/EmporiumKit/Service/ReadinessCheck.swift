/// One thing that must work for the process to take traffic (a database, a broker, a cache).
public struct ReadinessCheck: Sendable {
    /// What is checked, as shown by `/health/ready` (`catalog.database`).
    public var name: String
    /// Throws when the dependency is not usable; should answer within a second or two.
    public var check: @Sendable () async throws -> Void

    public init(name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}
