import Foundation
import SQLKit
import Security
import Storage

/// Re-encrypts sealed columns under the active data key (`emporium admin rotate-data-key`):
/// a batch of rows at a time, each batch in its own transaction, skipping values already under
/// the active key, so the command can be interrupted and run again.
enum PersonalDataReencryption {
    /// - Parameters:
    ///   - table: The table; `key`, its primary-key column (text).
    ///   - columns: Each sealed column with the associated data (field) it is sealed for; NULLs are skipped.
    /// - Returns: how many values were re-encrypted.
    static func run(
        database: any Database, table: String, key: String, columns: [(name: String, field: String)], cipher: FieldCipher,
        batchSize: Int = 500
    ) async throws -> Int {
        var changed = 0
        var after = ""
        let selected = ([key] + columns.map(\.name)).joined(separator: ", ")
        while true {
            let (count, last) = try await database.transaction { sql -> (Int, String?) in
                let rows = try await sql.raw(
                    "SELECT \(unsafeRaw: selected) FROM \(unsafeRaw: table) WHERE \(unsafeRaw: key) > \(bind: after) ORDER BY \(unsafeRaw: key) LIMIT \(bind: batchSize)"
                ).all()
                var count = 0
                for row in rows {
                    let id = try row.decode(column: key, as: String.self)
                    for column in columns {
                        guard try !row.decodeNil(column: column.name) else { continue }
                        let sealed = try row.decode(column: column.name, as: String.self)
                        guard try cipher.needsReencryption(sealed) else { continue }
                        let resealed = try cipher.seal(try cipher.open(sealed, field: column.field), field: column.field)
                        try await sql.raw(
                            "UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column.name) = \(bind: resealed) WHERE \(unsafeRaw: key) = \(bind: id)"
                        ).run()
                        count += 1
                    }
                }
                return (count, rows.count < batchSize ? nil : try rows.last?.decode(column: key, as: String.self))
            }
            changed += count
            guard let last else { return changed }
            after = last
        }
    }
}
