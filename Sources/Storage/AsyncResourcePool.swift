/// A fixed set of resources (connections) handed out one borrower at a time, in arrival order.
///
/// Borrowers that find every resource in use wait without blocking a thread; cancellation of a
/// waiting borrower is not supported, which is fine for the short leases of a connection pool.
/// Once ``drain()`` closes the pool, borrowing fails and resources returned late are handed to
/// `dispose` instead of being kept.
actor AsyncResourcePool<Resource: Sendable> {
    private var available: [Resource]
    private var waiters: [CheckedContinuation<Resource?, Never>] = []
    private var closed = false
    private let dispose: @Sendable (Resource) async -> Void
    /// How many resources the pool was given.
    private let size: Int

    init(_ resources: [Resource], dispose: @escaping @Sendable (Resource) async -> Void) {
        precondition(!resources.isEmpty, "a pool needs at least one resource")
        self.available = resources
        self.dispose = dispose
        self.size = resources.count
    }

    /// The resources lent out and available, and the borrowers waiting; all 0 once closed.
    var state: DatabasePoolState {
        closed ? DatabasePoolState() : DatabasePoolState(inUse: size - available.count, idle: available.count, waiting: waiters.count)
    }

    /// Takes a resource, waiting for one to be returned when all are in use.
    /// - Throws: ``PoolClosedError`` once the pool is closed.
    func acquire() async throws -> Resource {
        if closed { throw PoolClosedError() }
        if let resource = available.popLast() {
            return resource
        }
        guard let resource = await withCheckedContinuation({ waiters.append($0) }) else { throw PoolClosedError() }
        return resource
    }

    /// Returns a resource: the longest-waiting borrower gets it, else it goes back to the pool
    /// (or is disposed of when the pool is closed).
    func release(_ resource: Resource) async {
        if closed {
            await dispose(resource)
        } else if waiters.isEmpty {
            available.append(resource)
        } else {
            waiters.removeFirst().resume(returning: resource)
        }
    }

    /// Closes the pool and returns every resource not currently lent out; waiting borrowers fail.
    func drain() -> [Resource] {
        closed = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
        defer { available.removeAll() }
        return available
    }
}

extension AsyncResourcePool {
    /// Lends a resource to `body` and takes it back afterwards, whether `body` returns or throws.
    nonisolated func withResource<Result>(
        _ body: (Resource) async throws -> Result
    ) async throws -> Result {
        let resource = try await acquire()
        do {
            let result = try await body(resource)
            await release(resource)
            return result
        } catch {
            await release(resource)
            throw error
        }
    }
}

/// The database was closed (the process is shutting down).
public struct PoolClosedError: Error, CustomStringConvertible {
    public var description: String { "the database connection pool is closed" }
}
