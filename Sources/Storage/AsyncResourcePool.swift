/// A fixed set of resources (connections) handed out one borrower at a time, in arrival order.
///
/// Borrowers that find every resource in use wait without blocking a thread; cancellation of a
/// waiting borrower is not supported, which is fine for the short leases of a connection pool.
actor AsyncResourcePool<Resource: Sendable> {
    private var available: [Resource]
    private var waiters: [CheckedContinuation<Resource, Never>] = []

    init(_ resources: [Resource]) {
        precondition(!resources.isEmpty, "a pool needs at least one resource")
        self.available = resources
    }

    /// Takes a resource, waiting for one to be returned when all are in use.
    func acquire() async -> Resource {
        if let resource = available.popLast() {
            return resource
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Returns a resource: the longest-waiting borrower gets it, else it goes back to the pool.
    func release(_ resource: Resource) {
        if waiters.isEmpty {
            available.append(resource)
        } else {
            waiters.removeFirst().resume(returning: resource)
        }
    }

    /// Every resource not currently lent out.
    func drain() -> [Resource] {
        defer { available.removeAll() }
        return available
    }
}

extension AsyncResourcePool {
    /// Lends a resource to `body` and takes it back afterwards, whether `body` returns or throws.
    nonisolated func withResource<Result>(
        _ body: (Resource) async throws -> Result
    ) async throws -> Result {
        let resource = await acquire()
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
