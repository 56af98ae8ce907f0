import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import NIOCore
import NIOFoundationCompat
import SQLKit
import Security
import Storage
import Testing

/// The auth and users services as a client sees them, through the whole middleware stack, on
/// either database.
enum IdentityAPIContract {
    static let password = "correct horse battery staple"

    static func post(_ client: any TestClientProtocol, _ uri: String, _ json: String, authorization: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) { $0 }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, authorization: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: .get, headers: headers) { $0 }
    }

    /// Registers `email`; returns the new user's id.
    @discardableResult
    static func register(_ client: any TestClientProtocol, _ email: String, password: String = password) async throws -> String {
        let response = try await post(client, "/v1/auth/register", #"{"email": "\#(email)", "password": "\#(password)"}"#)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(response.json["id"] as? String)
    }

    /// Logs in; returns `Bearer <access token>` and the refresh token.
    static func login(_ client: any TestClientProtocol, _ email: String, password: String = password) async throws -> (authorization: String, refresh: String) {
        let response = try await post(client, "/v1/auth/login", #"{"email": "\#(email)", "password": "\#(password)"}"#)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        #expect(response.json["tokenType"] as? String == "Bearer")
        #expect(response.json["expiresIn"] as? Int == 900)
        return ("Bearer " + (try #require(response.json["accessToken"] as? String)), try #require(response.json["refreshToken"] as? String))
    }

    static func refresh(_ client: any TestClientProtocol, _ token: String) async throws -> TestResponse {
        try await post(client, "/v1/auth/refresh", #"{"refreshToken": "\#(token)"}"#)
    }

    /// Waits until `check` is true (events are applied moments after the request that caused them).
    static func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
        for _ in 0..<2_400 {
            if try await check() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("timed out waiting for \(what)")
    }

    static func accountCount(_ platform: EmporiumPlatform) async throws -> Int {
        try await #require(platform.databases["auth"]).withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM auth_accounts").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    // MARK: Contracts

    /// Register, log in, read the profile, refresh (rotation), reuse detection, logout.
    static func tokenLifecycle(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let id = try await register(client, "Ada@Example.com")
            let session = try await login(client, "ada@example.com")
            try await eventually("the profile") { try await get(client, "/v1/users/me", authorization: session.authorization).status == .ok }
            let me = try await get(client, "/v1/users/me", authorization: session.authorization)
            #expect(me.json["id"] as? String == id)
            #expect(me.json["email"] as? String == "ada@example.com")
            #expect(me.json["roles"] as? [String] == ["customer"])

            // Each refresh answers a new pair; the old refresh token is used up.
            let first = try await refresh(client, session.refresh)
            #expect(first.status == .ok)
            let second = try #require(first.json["refreshToken"] as? String)
            #expect(second != session.refresh)
            let access = "Bearer " + (try #require(first.json["accessToken"] as? String))
            #expect(try await get(client, "/v1/users/me", authorization: access).status == .ok)
            let third = try #require(try await refresh(client, second).json["refreshToken"] as? String)

            // Reusing a rotated token: 401, and the family's newest token is revoked too.
            let reuse = try await refresh(client, session.refresh)
            #expect(reuse.status == .unauthorized)
            #expect(reuse.headers[.contentType] == "application/problem+json")
            #expect((reuse.json["detail"] as? String)?.contains("used before") == true)
            #expect(try await refresh(client, third).status == .unauthorized, "the whole family is revoked")

            // Another session is untouched; logout revokes it.
            let other = try await login(client, "ada@example.com")
            #expect(try await post(client, "/v1/auth/logout", #"{"refreshToken": "\#(other.refresh)"}"#).status == .noContent)
            #expect(try await refresh(client, other.refresh).status == .unauthorized)
            #expect(try await post(client, "/v1/auth/logout", #"{"refreshToken": "\#(RefreshTokenShape.unknown)"}"#).status == .unauthorized)

            // The audit log has the story, in a chain that verifies.
            let admin = try await TestPlatform.authorization(platform, roles: [.admin])
            try await eventually("audit entries") {
                let actions = ((try await get(client, "/v1/audit?limit=100", authorization: admin).json["items"] as? [[String: Any]]) ?? [])
                    .compactMap { $0["action"] as? String }
                return actions.contains("token_family_revoked") && actions.contains("logout")
            }
            let entries = (try await get(client, "/v1/audit?limit=100", authorization: admin).json["items"] as? [[String: Any]]) ?? []
            #expect(entries.compactMap { $0["action"] as? String }.starts(with: ["user_created", "login"]))
            #expect(entries.first?["previousHash"] as? String == String(repeating: "0", count: 64))
            let users = try #require(platform.services.lazy.compactMap { $0 as? UsersService }.first)
            let verification = try await users.verifyAudit()
            #expect(verification.firstBreak == nil)
            #expect(verification.entries == entries.count)

            // Someone with database access edits an entry: the chain names it.
            try await #require(platform.databases["users"]).transaction { sql in
                try await sql.raw("UPDATE users_audit SET details = '{\"client\":\"elsewhere\"}' WHERE sequence = 2").run()
            }
            #expect(try await users.verifyAudit().firstBreak == AuditChain.Break(sequence: 2, reason: "its content was altered"))
        }
    }

    /// Tokens that must be refused get a 401 problem with a `WWW-Authenticate` challenge.
    static func refusesBadTokens(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first)
            let good = try await auth.issueAccessToken(userID: UUID.v7().lowercased, roles: [.admin])
            let parts = good.split(separator: ".").map(String.init)
            let header = try JSONSerialization.jsonObject(with: try #require(base64URLDecode(parts[0]))) as? [String: Any] ?? [:]
            let kid = try #require(header["kid"] as? String)
            let jwks = try await get(client, "/.well-known/jwks.json")
            #expect(jwks.status == .ok)
            #expect(jwks.headers[.contentType] == "application/jwk-set+json")
            let keys = jwks.json["keys"] as? [[String: Any]] ?? []
            #expect(keys.contains { $0["kid"] as? String == kid && $0["kty"] as? String == "EC" && $0["d"] == nil }, "public keys only")

            let expired = try await auth.issueAccessToken(userID: "u", roles: [.admin], now: Date.now.addingTimeInterval(-3600))
            var tamperedClaims = try JSONSerialization.jsonObject(with: try #require(base64URLDecode(parts[1]))) as? [String: Any] ?? [:]
            tamperedClaims["roles"] = ["admin", "support"]
            let tampered = [parts[0], base64URL(try JSONSerialization.data(withJSONObject: tamperedClaims)), parts[2]].joined(separator: ".")
            let algNone = [base64URL(Data(#"{"alg":"none","typ":"JWT","kid":"\#(kid)"}"#.utf8)), parts[1], ""].joined(separator: ".")
            // HS256 "signed" with the public key as the HMAC secret: the classic confusion attack.
            let publicKey = try #require(keys.first { $0["kid"] as? String == kid })
            let hsHeader = base64URL(Data(#"{"alg":"HS256","typ":"JWT","kid":"\#(kid)"}"#.utf8))
            let secret = Data("\(publicKey["x"] ?? "")\(publicKey["y"] ?? "")".utf8)
            let hs256 = "\(hsHeader).\(parts[1])." + base64URL(hmacSHA256(Data("\(hsHeader).\(parts[1])".utf8), key: secret))
            let otherRing = SigningKeyRing()
            let unknownKey = try await otherRing.issue(subject: "u", roles: [.admin], issuer: "emporium", audience: "emporium")

            for (name, token, reason) in [
                ("expired", expired, "expired"), ("tampered", tampered, "signature"), ("alg none", algNone, "ES256 only"),
                ("HS256 with the public key", hs256, "ES256 only"), ("unknown key", unknownKey, "unknown"), ("garbage", "garbage", "well-formed"),
            ] {
                let response = try await get(client, "/v1/audit", authorization: "Bearer \(token)")
                #expect(response.status == .unauthorized, "\(name)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(name)")
                #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true, "\(name)")
                #expect((response.json["detail"] as? String)?.contains(reason) == true, "\(name): \(response.json["detail"] ?? "")")
            }
            #expect(try await get(client, "/v1/audit", authorization: "Bearer \(good)").status == .ok)
            #expect(try await get(client, "/v1/audit", authorization: "Basic YWRhOnB3").status == .unauthorized)
            #expect(try await get(client, "/v1/audit").status == .unauthorized)
        }
    }

    /// Five failures for one account from one address lock it (429 with Retry-After), even for
    /// the right password; unknown emails and wrong passwords get the same answer.
    static func throttlesFailedLogins(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            try await register(client, "grace@example.com")
            let unknown = try await post(client, "/v1/auth/login", #"{"email": "nobody@example.com", "password": "whatever whatever"}"#)
            var bodies: [String] = []
            for attempt in 1...5 {
                let response = try await post(client, "/v1/auth/login", #"{"email": "grace@example.com", "password": "wrong password \#(attempt)"}"#)
                #expect(response.status == .unauthorized, "attempt \(attempt)")
                bodies.append(response.json["detail"] as? String ?? "")
            }
            #expect(unknown.status == .unauthorized)
            #expect(unknown.json["detail"] as? String == bodies[0], "an unknown email reads like a wrong password")
            let locked = try await post(client, "/v1/auth/login", #"{"email": "grace@example.com", "password": "\#(password)"}"#)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.contentType] == "application/problem+json")
            let retryAfter = try #require(locked.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...30).contains(retryAfter))
            // Another account from the same address is not locked.
            try await register(client, "hopper@example.com")
            _ = try await login(client, "hopper@example.com")
        }
    }

    /// Bad registrations are 400s naming the field (409 for a taken email) and write nothing.
    static func rejectsBadRegistrations(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            try await register(client, "taken@example.com")
            let before = try await accountCount(platform)
            for (body, status, field) in [
                (#"{"email": "not-an-email", "password": "\#(password)"}"#, HTTPResponse.Status.badRequest, "email"),
                (#"{"email": "a@example.com", "password": "short"}"#, .badRequest, "password"),
                (#"{"email": "a@example.com", "password": "password1234"}"#, .unprocessableContent, "password"),
                (#"{"email": "a@example.com", "password": "aaaaaaaaaaaaaaaa"}"#, .unprocessableContent, "password"),
                (#"{"email": "a@example.com", "password": "\#(password)", "role": "admin"}"#, .badRequest, "role"),
                (#"{"email": "a@example.com"}"#, .badRequest, "password"),
                (#"{"email": 42, "password": "\#(password)"}"#, .badRequest, "email"),
                (#"{"email": "TAKEN@example.com", "password": "\#(password)"}"#, .conflict, nil),
            ] {
                let response = try await post(client, "/v1/auth/register", body)
                #expect(response.status == status, "\(body)")
                #expect(response.headers[.contentType] == "application/problem+json")
                if let field {
                    let fields = (response.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                    #expect(fields.contains(field), "expected \(field) in \(fields) for \(body)")
                }
            }
            #expect(try await accountCount(platform) == before, "no bad registration wrote anything")
            let unknownField = try await post(client, "/v1/auth/login", #"{"email": "taken@example.com", "passwrod": "x"}"#)
            #expect(unknownField.status == .badRequest)
        }
    }

    /// An administrator changes a user's roles: audited, and the user's next tokens carry them.
    static func changesRoles(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let id = try await register(client, "linus@example.com")
            var session = try await login(client, "linus@example.com")
            let admin = try await TestPlatform.authorization(platform, roles: [.admin])
            try await eventually("the profile") { try await get(client, "/v1/users/\(id)", authorization: admin).status == .ok }
            // Support finds the account by its email, however it is typed; the list pages by id.
            let found = try await get(client, "/v1/users?email=%20LINUS@Example.COM", authorization: admin)
            #expect(found.status == .ok)
            #expect((found.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            let none = try await get(client, "/v1/users?email=nobody@example.com", authorization: admin)
            #expect((none.json["items"] as? [[String: Any]])?.isEmpty == true)
            _ = try await register(client, "ada@example.com")
            try await eventually("the second profile") {
                ((try await get(client, "/v1/users", authorization: admin).json["items"] as? [[String: Any]])?.count ?? 0) == 2
            }
            let first = try await get(client, "/v1/users?limit=1", authorization: admin)
            #expect((first.json["items"] as? [[String: Any]])?.first?["id"] as? String == id, "oldest first")
            let cursor = try #require(first.json["nextCursor"] as? String)
            let second = try await get(client, "/v1/users?limit=1&cursor=\(cursor)", authorization: admin)
            #expect((second.json["items"] as? [[String: Any]])?.first?["email"] as? String == "ada@example.com")
            #expect(second.json["nextCursor"] == nil)
            let change = try await client.execute(
                uri: "/v1/users/\(id)/roles", method: .put, headers: [.contentType: "application/json", .authorization: admin],
                body: ByteBuffer(string: #"{"roles": ["catalog_manager", "customer"]}"#)
            ) { $0 }
            #expect(change.status == .ok)
            #expect(change.json["roles"] as? [String] == ["catalog_manager", "customer"])
            for (body, field) in [(#"{"roles": ["root"]}"#, "roles[0]"), (#"{"roles": []}"#, "roles"), (#"{"roles": ["admin"], "x": 1}"#, "x")] {
                let response = try await client.execute(
                    uri: "/v1/users/\(id)/roles", method: .put, headers: [.contentType: "application/json", .authorization: admin],
                    body: ByteBuffer(string: body)
                ) { $0 }
                #expect(response.status == .badRequest)
                #expect(((response.json["errors"] as? [[String: Any]])?.first?["field"] as? String) == field)
            }
            // The auth service learns the roles from the event; a refreshed token carries them.
            try await eventually("the new roles in a refreshed token") {
                let response = try await refresh(client, session.refresh)
                guard response.status == .ok, let access = response.json["accessToken"] as? String,
                    let refreshToken = response.json["refreshToken"] as? String
                else { return false }
                session = ("Bearer " + access, refreshToken)
                let claims = try JSONSerialization.jsonObject(with: try #require(base64URLDecode(access.split(separator: ".")[1]))) as? [String: Any]
                return (claims?["roles"] as? [String]) == ["catalog_manager", "customer"]
            }
            let entries = (try await get(client, "/v1/audit?limit=100", authorization: admin).json["items"] as? [[String: Any]]) ?? []
            let change2 = try #require(entries.first { $0["action"] as? String == "roles_changed" })
            #expect(change2["target"] as? String == id)
            #expect((change2["details"] as? [String: String])?["to"] == "catalog_manager,customer")
        }
    }

    /// Every role against every protected route: allowed answers are neither 401 nor 403,
    /// denied ones are 403 naming the permission; no token is 401.
    static func rbacMatrix(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let someone = UUID.v7().lowercased
            let product = UUID.v7().lowercased
            // (method, path, body, roles allowed) — written out here, not derived from the role table.
            let routes: [(HTTPRequest.Method, String, String?, Set<Role>)] = [
                (.get, "/v1/users/me", nil, [.customer, .support, .catalogManager, .admin]),
                (.patch, "/v1/users/me", #"{"name": "N"}"#, [.customer, .support, .catalogManager, .admin]),
                (.get, "/v1/users/me/addresses", nil, [.customer, .support, .catalogManager, .admin]),
                (.post, "/v1/users/me/addresses", #"{"line1": "1 A St", "city": "B", "postalCode": "C1", "country": "GB"}"#, [.customer, .support, .catalogManager, .admin]),
                (.get, "/v1/users", nil, [.support, .admin]),
                (.get, "/v1/users/\(someone)", nil, [.support, .admin]),
                (.put, "/v1/users/\(someone)/roles", #"{"roles": ["customer"]}"#, [.admin]),
                (.get, "/v1/audit", nil, [.admin]),
                (.post, "/v1/products", #"{"name": ""}"#, [.catalogManager, .admin]),
                (.patch, "/v1/products/\(product)", #"{"name": "X"}"#, [.catalogManager, .admin]),
                (.delete, "/v1/products/\(product)", nil, [.catalogManager, .admin]),
                (.post, "/v1/categories", #"{"slug": "", "name": ""}"#, [.catalogManager, .admin]),
                (.patch, "/v1/categories/\(product)", #"{"name": "X"}"#, [.catalogManager, .admin]),
                (.delete, "/v1/categories/\(product)", nil, [.catalogManager, .admin]),
            ]
            for role in Role.allCases {
                let authorization = try await TestPlatform.authorization(platform, roles: [role])
                for (method, path, body, allowed) in routes {
                    var headers: HTTPFields = [.authorization: authorization]
                    if body != nil { headers[.contentType] = "application/json" }
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
                    if allowed.contains(role) {
                        #expect(response.status != .forbidden && response.status != .unauthorized, "\(role) \(method) \(path): \(response.status)")
                    } else {
                        #expect(response.status == .forbidden, "\(role) \(method) \(path): \(response.status)")
                        #expect((response.json["detail"] as? String)?.contains("permission") == true)
                    }
                }
            }
            for (method, path, body, _) in routes {
                let headers: HTTPFields = body == nil ? [:] : [.contentType: "application/json"]
                let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
                #expect(response.status == .unauthorized, "anonymous \(method) \(path)")
            }
        }
    }

    /// After registering users with profiles and addresses, no table holds an email, name, phone
    /// or street in the clear (SQLite: the raw database and WAL files, byte by byte; PostgreSQL:
    /// every row of every table as text).
    static func storesNoPlaintextPersonalData(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let secrets = ["zelda.quartermaine@plaintext-probe.example", "Zelda Quartermaine", "+44 7700 900123", "Quixotic Lane"]
            try await register(client, secrets[0])
            let session = try await login(client, secrets[0])
            try await eventually("the profile") { try await get(client, "/v1/users/me", authorization: session.authorization).status == .ok }
            let patch = try await client.execute(
                uri: "/v1/users/me", method: .patch, headers: [.contentType: "application/json", .authorization: session.authorization],
                body: ByteBuffer(string: #"{"name": "\#(secrets[1])", "phone": "\#(secrets[2])"}"#)
            ) { $0 }
            #expect(patch.status == .ok)
            #expect(patch.json["name"] as? String == secrets[1], "the API shows the plaintext")
            for (body, field) in [(#"{"phone": null}"#, "phone"), (#"{"name": "N", "phone": null}"#, "phone")] {
                let refused = try await client.execute(
                    uri: "/v1/users/me", method: .patch, headers: [.contentType: "application/json", .authorization: session.authorization],
                    body: ByteBuffer(string: body)
                ) { $0 }
                #expect(refused.status == .badRequest, "null is not a value of \(field)")
                #expect((refused.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field)
            }
            let eszett = try await post(
                client, "/v1/users/me/addresses", #"{"line1": "1 Road", "city": "Leeds", "postalCode": "LS1", "country": "ß"}"#,
                authorization: session.authorization
            )
            #expect(eszett.status == .badRequest, "ß upper-cases to SS but is not a country code")
            let address = try await post(
                client, "/v1/users/me/addresses", #"{"line1": "12 \#(secrets[3])", "city": "Leeds", "postalCode": "LS1 1AA", "country": "gb"}"#,
                authorization: session.authorization
            )
            #expect(address.status == .created)
            let listed = try await get(client, "/v1/users/me/addresses", authorization: session.authorization)
            #expect(((listed.json["items"] as? [[String: Any]])?.first?["line1"] as? String) == "12 \(secrets[3])")
            // Let the events and audit entries land too.
            try await Task.sleep(for: .milliseconds(300))

            var haystacks: [(String, Data)] = []
            for (service, database) in platform.databases {
                switch database.location {
                case .sqlite(let location):
                    let path = try #require(location)
                    _ = try await database.withConnection { sql in try await sql.raw("PRAGMA wal_checkpoint(PASSIVE)").all() }
                    for file in [path, path + "-wal"] where FileManager.default.fileExists(atPath: file) {
                        haystacks.append(("\(service) \(file)", try Data(contentsOf: URL(fileURLWithPath: file))))
                    }
                case .postgres:
                    try await database.withConnection { sql in
                        let tables = try await sql.raw(
                            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                        ).all().map { try $0.decode(column: "table_name", as: String.self) }
                        for table in tables {
                            let rows = try await sql.raw("SELECT t::text AS row FROM \(unsafeRaw: table) t").all()
                            let text = try rows.map { try $0.decode(column: "row", as: String.self) }.joined(separator: "\n")
                            haystacks.append(("\(service) \(table)", Data(text.utf8)))
                        }
                    }
                }
            }
            #expect(!haystacks.isEmpty)
            for secret in secrets + [secrets[0].uppercased(), "plaintext-probe"] {
                for (name, data) in haystacks {
                    #expect(data.range(of: Data(secret.utf8)) == nil, "'\(secret)' is stored in the clear in \(name)")
                    #expect(data.range(of: Data(secret.lowercased().utf8)) == nil, "'\(secret)' is stored in the clear in \(name)")
                }
            }
        }
    }

    /// Services configured onto one SQLite file (`database.url`) work side by side: concurrent
    /// registrations, logins and the events between auth and users all complete.
    static func servicesSharingOneSQLiteFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("emporium-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = "sqlite:" + folder.appendingPathComponent("all.sqlite").path
        try await TestPlatform.withClient(.sqlite, extra: ["database.url": url]) { client, platform throws in
            // One connection pool for the file: two pools on one file would block SQLite threads
            // waiting for each other's write lock (under load: "database is locked").
            let pools = Set(platform.databases.values.compactMap { ($0 as? SQLiteSQLDatabase).map(ObjectIdentifier.init) })
            #expect(pools.count == 1, "the services share one SQLite pool")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let email = "shared\(index)@example.com"
                        try await register(client, email)
                        let session = try await login(client, email)
                        try await eventually("profile \(index)") {
                            try await get(client, "/v1/users/me", authorization: session.authorization).status == .ok
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    // MARK: Helpers

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hmacSHA256(_ data: Data, key: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    static func base64URLDecode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

/// A well-formed refresh token nobody issued.
enum RefreshTokenShape {
    static let unknown = String(repeating: "A", count: 43)
}

@Suite("Identity API on SQLite")
struct IdentityAPISQLiteTests {
    @Test func tokenLifecycle() async throws { try await IdentityAPIContract.tokenLifecycle(.sqlite) }
    @Test func refusesBadTokens() async throws { try await IdentityAPIContract.refusesBadTokens(.sqlite) }
    @Test func throttlesFailedLogins() async throws { try await IdentityAPIContract.throttlesFailedLogins(.sqlite) }
    @Test func rejectsBadRegistrations() async throws { try await IdentityAPIContract.rejectsBadRegistrations(.sqlite) }
    @Test func changesRoles() async throws { try await IdentityAPIContract.changesRoles(.sqlite) }
    @Test func rbacMatrix() async throws { try await IdentityAPIContract.rbacMatrix(.sqlite) }
    @Test func storesNoPlaintextPersonalData() async throws { try await IdentityAPIContract.storesNoPlaintextPersonalData(.sqlite) }
    @Test func servicesSharingOneSQLiteFile() async throws { try await IdentityAPIContract.servicesSharingOneSQLiteFile() }
}

@Suite("Identity API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct IdentityAPIPostgresTests {
    @Test func tokenLifecycle() async throws { try await IdentityAPIContract.tokenLifecycle(.postgres) }
    @Test func refusesBadTokens() async throws { try await IdentityAPIContract.refusesBadTokens(.postgres) }
    @Test func throttlesFailedLogins() async throws { try await IdentityAPIContract.throttlesFailedLogins(.postgres) }
    @Test func rejectsBadRegistrations() async throws { try await IdentityAPIContract.rejectsBadRegistrations(.postgres) }
    @Test func changesRoles() async throws { try await IdentityAPIContract.changesRoles(.postgres) }
    @Test func rbacMatrix() async throws { try await IdentityAPIContract.rbacMatrix(.postgres) }
    @Test func storesNoPlaintextPersonalData() async throws { try await IdentityAPIContract.storesNoPlaintextPersonalData(.postgres) }
}

/// A token issued for another audience (by an auth service configured for it, with the same
/// keys) is refused.
@Suite("Access tokens for another audience")
struct AudienceTests {
    @Test func tokenForAnotherAudienceIsRefused() async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let shop = try await EmporiumPlatform.build(settings: try await TestPlatform.settings(database: url), logger: TestDatabases.logger)
        let other = try await EmporiumPlatform.build(
            settings: try await TestPlatform.settings(database: url, extra: ["auth.audience": "back-office"]), logger: TestDatabases.logger
        )
        try await shop.application.test(.router) { client throws in
            // The shop's start-up events (the demo catalog's products) are applied before a second
            // process starts on the same SQLite files: two processes writing one file wait for its lock.
            for _ in 0..<300 where try await InputHardeningContract.unsentEvents(shop) > 0 {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await other.application.test(.router) { _ throws in
                let issuer = try #require(other.services.lazy.compactMap { $0 as? AuthService }.first)
                let token = try await issuer.issueAccessToken(userID: "u", roles: [.admin])
                let response = try await client.execute(uri: "/v1/audit", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
                #expect(response.status == .unauthorized)
                #expect((response.json["detail"] as? String)?.contains("another audience") == true, "\(response.json)")
            }
        }
    }
}

/// A process without the auth service verifies tokens with the key set the auth service
/// publishes (`auth.jwksURL`), and picks up a rotated key.
@Suite("Access tokens across processes")
struct RemoteAccessTokenTests {
    @Test func catalogProcessVerifiesWithTheAuthServicesKeySet() async throws {
        let (authURL, authCleanup) = try await TestDatabases.makeURL(.sqlite)
        let (catalogURL, catalogCleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await authCleanup(); await catalogCleanup() } }
        let authSettings = try await TestPlatform.settings(database: authURL, extra: ["services": "auth,users"])
        let authPlatform = try await EmporiumPlatform.build(settings: authSettings, logger: TestDatabases.logger)
        try await authPlatform.application.test(.live) { authClient throws in
            let port = try #require(authClient.port)
            let catalogSettings = try await TestPlatform.settings(
                database: catalogURL, extra: ["services": "catalog", "auth.jwksURL": "http://127.0.0.1:\(port)/.well-known/jwks.json"]
            )
            let catalogPlatform = try await EmporiumPlatform.build(settings: catalogSettings, logger: TestDatabases.logger)
            #expect(!catalogPlatform.services.contains { $0.name == "auth" })
            try await catalogPlatform.application.test(.router) { client throws in
                #expect(try await client.execute(uri: "/health/ready", method: .get) { $0.status } == .ok, "the key set was fetched")
                let auth = try #require(authPlatform.services.lazy.compactMap { $0 as? AuthService }.first)
                let category = try await CatalogAPIContract.firstCategory(client)
                func create(_ token: String, sku: String) async throws -> HTTPResponse.Status {
                    try await client.execute(
                        uri: "/v1/products", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                        body: ByteBuffer(string: CatalogAPIContract.validProduct(sku: sku, categoryId: category))
                    ) { $0.status }
                }
                #expect(try await create(try await auth.issueAccessToken(userID: "m", roles: [.catalogManager]), sku: "REMOTE-1") == .created)
                #expect(try await create(try await auth.issueAccessToken(userID: "c", roles: [.customer]), sku: "REMOTE-2") == .forbidden)
                let forged = try await SigningKeyRing().issue(subject: "m", roles: [.admin], issuer: "emporium", audience: "emporium")
                #expect(try await create(forged, sku: "REMOTE-3") == .unauthorized)

                // A rotation: the old key still verifies; a token of the new key makes the
                // catalog fetch the set again (at most every five seconds).
                let old = try await auth.issueAccessToken(userID: "m", roles: [.catalogManager])
                _ = try await auth.rotateSigningKey()
                try await Task.sleep(for: RemoteAccessTokenKeys.minimumFetchInterval + .milliseconds(500))
                let new = try await auth.issueAccessToken(userID: "m", roles: [.catalogManager])
                #expect(try await create(old, sku: "REMOTE-4") == .created)
                #expect(try await create(new, sku: "REMOTE-5") == .created)
            }
        }
    }
}
