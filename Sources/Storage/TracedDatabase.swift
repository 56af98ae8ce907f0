import Logging
import NIOCore
public import SQLKit
public import Tracing
import Synchronization

/// A ``Database`` whose every transaction and leased connection is a client span of the current
/// trace, named by what its statements did (`INSERT orders, INSERT emporium_outbox`), with the
/// statements' operations and tables as attributes: never their text's values or their
/// parameters. The runtime wraps each service's database in one when traces are exported
/// (`tracing.otlpEndpoint`); otherwise there is no wrapper and no cost.
///
/// Only work done inside a span gets one (a request's, an event's consumption): the polls of
/// background jobs (the outbox relay, expiry jobs) and readiness probes would otherwise each be
/// a trace of their own. A span that is not recorded (the trace was not sampled) costs its start
/// and end only: the statements go straight to the connection.
public struct TracedDatabase: Database {
    /// The database the statements run on.
    public let base: any Database
    /// The database's name in spans (`db.namespace`): its service (`orders`), or `catalog.replica`.
    public let name: String
    private let tracer: any Tracer

    public init(_ base: any Database, name: String, tracer: any Tracer) {
        self.base = base
        self.name = name
        self.tracer = tracer
    }

    public var kind: DatabaseKind { base.kind }
    public var location: DatabaseURL { base.location }

    public func withConnection<Result: Sendable>(_ body: (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await traced("connection") { record in try await base.withConnection { sql in try await body(record(sql)) } }
    }

    public func transaction<Result: Sendable>(_ body: (any SQLDatabase) async throws -> Result) async throws -> Result {
        try await traced("transaction") { record in try await base.transaction { sql in try await body(record(sql)) } }
    }

    public func withExclusiveLock<Result: Sendable>(
        _ lockName: String, _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await traced("exclusive lock") { record in try await base.withExclusiveLock(lockName) { sql in try await body(record(sql)) } }
    }

    public func ping() async throws { try await base.ping() }
    public func poolState() async -> DatabasePoolState { await base.poolState() }
    public func run() async throws { try await base.run() }
    public func close() async { await base.close() }

    /// Runs `work` in a span named `fallback` until a statement names it; `work` wraps the
    /// connection it gets with the function it is handed, which records the statements when the
    /// span is recorded and returns the connection as it is when not.
    private func traced<Result>(
        _ fallback: String, _ work: (@Sendable (any SQLDatabase) -> any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        guard let parent = InstrumentationContext.current else { return try await work { $0 } }
        let span = tracer.startSpan(fallback, context: parent, ofKind: .client)
        defer { span.end() }
        guard span.isRecording else { return try await work { $0 } }
        let statements = StatementLog()
        span.attributes["db.system.name"] = kind == .postgres ? "postgresql" : "sqlite"
        span.attributes["db.namespace"] = name
        do {
            let result = try await InstrumentationContext.$current.withValue(span.context) {
                try await work { RecordingSQLDatabase(base: $0, statements: statements) }
            }
            statements.describe(span, fallback: fallback)
            return result
        } catch {
            statements.describe(span, fallback: fallback)
            span.recordError(error)
            throw error
        }
    }
}

/// What a span's statements did: each one's operation and table, in order.
final class StatementLog: Sendable {
    private let summaries = Mutex<[SQLStatementSummary]>([])

    func append(_ summary: SQLStatementSummary) {
        summaries.withLock { $0.append(summary) }
    }

    /// Names `span` by its distinct statements (at most three, in order) and sets the attributes
    /// of the first: `db.operation.name`, `db.collection.name`; `db.operation.batch.size` counts them.
    func describe(_ span: any Span, fallback: String) {
        let all = summaries.withLock { $0 }
        guard let first = all.first else { return }
        var distinct: [String] = []
        for summary in all where !distinct.contains(summary.text) { distinct.append(summary.text) }
        span.operationName = distinct.prefix(3).joined(separator: ", ") + (distinct.count > 3 ? ", …" : "")
        span.attributes["db.operation.name"] = first.operation
        if let table = first.table { span.attributes["db.collection.name"] = table }
        span.attributes["db.query.summary"] = distinct.joined(separator: "; ")
        span.attributes["db.operation.batch.size"] = all.count
    }
}

/// A connection that notes each statement's operation and table in a ``StatementLog``, then runs it.
struct RecordingSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    let statements: StatementLog

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    private func note(_ query: any SQLExpression) {
        var serializer = SQLSerializer(database: base)
        query.serialize(to: &serializer)
        statements.append(SQLStatementSummary(serializer.sql))
    }

    @preconcurrency
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        note(query)
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        note(query)
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await base.withSession { session in try await closure(RecordingSQLDatabase(base: session, statements: statements)) }
    }
}

/// A statement's operation (`SELECT`) and the table it names first (`orders`), read from its SQL
/// text without its values: what a span may show.
struct SQLStatementSummary: Equatable {
    let operation: String
    let table: String?

    /// `SELECT orders`, or the operation alone when no table was found.
    var text: String { table.map { "\(operation) \($0)" } ?? operation }

    init(operation: String, table: String?) {
        self.operation = operation
        self.table = table
    }

    /// Reads `sql`'s first word as the operation and the identifier after the keyword that
    /// introduces its table: `FROM` (SELECT, DELETE), `INTO` (INSERT), `UPDATE`; for a `WITH`,
    /// the statement after the common table expressions is not looked for: the first `FROM`,
    /// `INTO` or `UPDATE` names the table.
    init(_ sql: String) {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "," })
        let operation = words.first.map { $0.prefix { $0 != "(" }.uppercased() } ?? "SQL"
        self.operation = operation
        let introducers: Set<String> = operation == "UPDATE" ? ["UPDATE"] : ["FROM", "INTO", "UPDATE"]
        var table: String?
        for (index, word) in words.enumerated() where introducers.contains(word.uppercased()) && index + 1 < words.count {
            let name = words[index + 1].prefix { $0 != "(" }.filter { $0 != "\"" && $0 != "`" && $0 != ";" && $0 != ")" }
            // `SELECT … FROM (subquery)` or a function: no table name here.
            if let first = name.first, first.isLetter || first == "_" {
                table = String(name)
                break
            }
        }
        self.table = table
    }
}
