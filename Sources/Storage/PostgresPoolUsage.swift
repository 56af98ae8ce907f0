import PostgresNIO
import Synchronization

/// The state of a ``PostgresSQLDatabase``'s pool as its leases show it: postgres-nio's pool does
/// not tell, so the database counts the borrowers waiting for a lease and holding one, and knows
/// a connection as open from its first lease until it closes. (The pool keeps no connection that
/// was never leased: it opens them on demand, `minimumConnections` being 0.)
final class PostgresPoolUsage: Sendable {
    private struct Counts {
        var waiting = 0
        var inUse = 0
        var open: Set<PostgresConnection.ID> = []
    }
    private let counts = Mutex(Counts())

    /// A borrower starts waiting for a lease.
    func willLease() {
        counts.withLock { $0.waiting += 1 }
    }

    /// The waiting borrower got `connection`.
    func leased(_ connection: PostgresConnection) {
        let new = counts.withLock { counts in
            counts.waiting -= 1
            counts.inUse += 1
            return counts.open.insert(connection.id).inserted
        }
        guard new else { return }
        let id = connection.id
        connection.closeFuture.whenComplete { [weak self] _ in
            _ = self?.counts.withLock { $0.open.remove(id) }
        }
    }

    /// The borrower is done: it returned its connection (`leased`), or never got one.
    func ended(leased: Bool) {
        counts.withLock { counts in
            if leased { counts.inUse -= 1 } else { counts.waiting -= 1 }
        }
    }

    var state: DatabasePoolState {
        counts.withLock { counts in
            DatabasePoolState(inUse: counts.inUse, idle: max(0, counts.open.count - counts.inUse), waiting: counts.waiting)
        }
    }
}
