import PostgresNIO
import SQLiteNIO

/// Whether `error` is a unique-constraint violation (a duplicate key), on either engine.
///
/// Stores turn it into a 409 rather than a 500: it means another writer got there first.
public func isUniqueViolation(_ error: any Error) -> Bool {
    if let error = error as? PSQLError {
        return error.serverInfo?[.sqlState] == "23505"
    }
    if let error = error as? SQLiteError {
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return true
        case .constraint: return error.message.contains("UNIQUE")
        default: return false
        }
    }
    return false
}
