import Storage
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesPostgres() throws {
        let url = try DatabaseURL(parsing: "postgres://shop:s%40cret@db.internal:6543/catalog?sslmode=disable")
        #expect(url == .postgres(.init(host: "db.internal", port: 6543, username: "shop", password: "s@cret", database: "catalog")))
        #expect(url.description == "postgres://shop:***@db.internal:6543/catalog")
    }

    @Test func parsesSQLite() throws {
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/emporium/catalog.sqlite") == .sqlite(path: "/var/lib/emporium/catalog.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:data/catalog.sqlite") == .sqlite(path: "data/catalog.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite::memory:") == .sqlite(path: nil))
    }

    @Test(arguments: [
        ("mysql://localhost/db", "unknown scheme"),
        ("postgres://localhost", "database name is missing"),
        ("postgres:///db", "host is missing"),
        ("postgres://u:pw@h/db?sslmode=require", "sslmode=require"),
        ("sqlite:", "path is empty"),
    ])
    func rejectsBadURLs(url: String, reason: String) {
        #expect {
            try DatabaseURL(parsing: url)
        } throws: { error in
            (error as? DatabaseURLError)?.reason.contains(reason) == true
        }
    }

    @Test func errorsHidePasswords() {
        #expect {
            try DatabaseURL(parsing: "postgres://u:topsecret@h")
        } throws: { error in
            !String(describing: error).contains("topsecret")
        }
    }
}
