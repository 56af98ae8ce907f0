import Synchronization

/// A flag that tasks wait on until the test opens it: to hold a connection, a handler, a lease
/// while the test looks at what that does.
public final class Latch: Sendable {
    private let isOpen = Atomic(false)

    public init() {}

    /// Lets every waiter go on, now and from now on.
    public func open() {
        isOpen.store(true, ordering: .releasing)
    }

    /// Returns once the latch is open (polling every 10 ms).
    public func wait() async throws {
        while !isOpen.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(10)) }
    }
}
