import Testing

@testable import Storage

/// What a database span may say of a statement: its operation and first table, nothing of its values.
@Suite("SQL statement summaries")
struct SQLStatementSummaryTests {
    @Test("the operation and the table after FROM, INTO or UPDATE, unquoted", arguments: [
        ("SELECT id, name FROM products WHERE id = $1", "SELECT products"),
        ("select * from \"orders\" where id = ?", "SELECT orders"),
        ("INSERT INTO emporium_outbox (event_id, payload) VALUES ($1, $2)", "INSERT emporium_outbox"),
        ("UPDATE stock SET on_hand = on_hand - $1 WHERE sku = $2", "UPDATE stock"),
        ("DELETE FROM cart_lines WHERE cart_id = $1", "DELETE cart_lines"),
        ("WITH claimed AS (SELECT 1) INSERT INTO emporium_inbox SELECT * FROM claimed", "WITH emporium_inbox"),
        ("SELECT count(*) FROM (SELECT 1) AS x", "SELECT"),
        ("SELECT 1", "SELECT"),
        ("BEGIN", "BEGIN"),
        ("INSERT INTO emporium_inbox(event_id, consumer) VALUES ($1, $2)", "INSERT emporium_inbox"),
    ])
    func summaries(sql: String, expected: String) {
        #expect(SQLStatementSummary(sql).text == expected)
    }

    @Test("a literal in the statement never reaches the summary")
    func noValues() {
        let summary = SQLStatementSummary("SELECT * FROM users WHERE email = 'someone@example.com'")
        #expect(summary.text == "SELECT users")
    }
}
