import EmporiumTestSupport
import Foundation
import Storage
import Testing

/// What a pool tells its metrics (`emporium_db_pool_connections{state}`,
/// `emporium_db_pool_waiting`): connections lent out and idle, and borrowers waiting.
@Suite struct DatabasePoolStateTests {
    static var kinds: [DatabaseKind] { TestDatabases.postgresEnabled ? [.sqlite, .postgres] : [.sqlite] }

    @Test("every connection lent out and one more borrower: in use, waiting; all returned: idle", arguments: kinds)
    func inUseIdleAndWaiting(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database in
            try await database.ping()
            // Transactions hold the connections: SQLite's one writer, PostgreSQL's pool of 4 (the
            // test databases' size). SQLite also keeps 4 read connections open.
            let (holders, open) = kind == .sqlite ? (1, 5) : (4, 4)
            let released = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0...holders {
                    group.addTask {
                        try await database.transaction { _ in try await released.wait() }
                    }
                }
                let busy = DatabasePoolState(inUse: holders, idle: open - holders, waiting: 1)
                let seen = try await Self.state(reaching: busy, database)
                #expect(seen == busy)
                released.open()
                try await group.waitForAll()
            }
            let idle = DatabasePoolState(inUse: 0, idle: open, waiting: 0)
            let seen = try await Self.state(reaching: idle, database)
            #expect(seen == idle)
        }
    }

    /// The pool's state once it is `state`, or after 10 s.
    static func state(reaching state: DatabasePoolState, _ database: any Database) async throws -> DatabasePoolState {
        let deadline = ContinuousClock.now + .seconds(10)
        while await database.poolState() != state, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return await database.poolState()
    }
}
