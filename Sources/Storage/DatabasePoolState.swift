/// What a database's connection pool is doing now, for its metrics
/// (`emporium_db_pool_connections{state}`, `emporium_db_pool_waiting`).
public struct DatabasePoolState: Sendable, Equatable {
    /// Connections lent out to a query or transaction.
    public var inUse: Int
    /// Open connections nobody holds.
    public var idle: Int
    /// Borrowers waiting for a connection.
    public var waiting: Int

    public init(inUse: Int = 0, idle: Int = 0, waiting: Int = 0) {
        self.inUse = inUse
        self.idle = idle
        self.waiting = waiting
    }

    /// Both pools' counts added up (a primary and its replica, SQLite's writer and readers).
    public static func + (left: DatabasePoolState, right: DatabasePoolState) -> DatabasePoolState {
        DatabasePoolState(inUse: left.inUse + right.inUse, idle: left.idle + right.idle, waiting: left.waiting + right.waiting)
    }
}
