import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import NIOCore
import NIOFoundationCompat
import Security
import Storage
import Testing

/// Issue 15's hardening of the identity services, through the whole platform.
enum IdentityHardeningContract {
    typealias API = IdentityAPIContract

    static func execute(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, authorization: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = "application/json" }
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
    }

    /// `auth_password_checks_total` from `/metrics`: how many passwords logins have checked.
    static func passwordChecks(_ client: any TestClientProtocol) async throws -> Int {
        let text = String(buffer: try await API.get(client, "/metrics").body)
        for line in text.split(separator: "\n") where line.hasPrefix("auth_password_checks_total ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
        }
        return 0
    }

    static func loginBody(_ email: String, _ password: String) -> String {
        #"{"email": "\#(email)", "password": "\#(password)"}"#
    }

    // MARK: 2. Login throttling under concurrency

    /// 19 concurrent wrong passwords for one account, then the right one: at most five
    /// passwords are checked, the rest are 429s with `Retry-After`, and the right one is locked
    /// out too.
    static func concurrentLoginsForOneAccount(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            try await API.register(client, "burst@example.com")
            let before = try await passwordChecks(client)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for attempt in 0..<19 {
                    group.addTask {
                        try await API.post(client, "/v1/auth/login", loginBody("burst@example.com", "wrong password number \(attempt)")).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            let right = try await API.post(client, "/v1/auth/login", loginBody("burst@example.com", API.password))
            #expect(right.status == .tooManyRequests, "the account is locked after the burst")
            #expect(right.headers[.contentType] == "application/problem+json")
            #expect(right.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 } == true)
            let checks = try await passwordChecks(client) - before
            #expect(checks <= 5, "\(checks) passwords checked for one account")
            #expect(statuses.filter { $0 == .unauthorized }.count == checks)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 19 - checks)
        }
    }

    /// 40 concurrent logins for 40 emails from one address: at most twenty passwords are
    /// checked; the others are 429s naming the address.
    static func concurrentLoginsFromOneAddress(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            let before = try await passwordChecks(client)
            let responses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, String?).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let response = try await API.post(client, "/v1/auth/login", loginBody("sprayed\(index)@example.com", "spring password \(index)"))
                        return (response.status, response.headers[.retryAfter], response.json["detail"] as? String)
                    }
                }
                return try await group.reduce(into: [(HTTPResponse.Status, String?, String?)]()) { $0.append($1) }
            }
            let checks = try await passwordChecks(client) - before
            #expect(checks <= 20, "\(checks) passwords checked from one address")
            let limited = responses.filter { $0.0 == .tooManyRequests }
            #expect(limited.count == 40 - checks)
            #expect(limited.count >= 20)
            #expect(limited.allSatisfy { $0.1.flatMap { Int($0) }.map { $0 >= 1 } == true && $0.2?.contains("your address") == true })
        }
    }

    // MARK: 3. Email identity

    /// `zoë@…` precomposed (NFC) and decomposed (NFD) is one account: registration, login and
    /// `emporium admin create-user` all see the same address.
    static func emailSpellingsAreOneAccount(_ kind: DatabaseKind) async throws {
        let composed = "zo\u{00EB}@example.com"
        let decomposed = "zo\u{0065}\u{0308}@example.com"
        #expect(Array(composed.unicodeScalars) != Array(decomposed.unicodeScalars))
        try await TestPlatform.withClient(kind) { client, platform throws in
            let id = try await API.register(client, decomposed)
            let again = try await API.post(client, "/v1/auth/register", loginBody(composed, API.password))
            #expect(again.status == .conflict, "one visible address, one account")
            #expect(again.headers[.contentType] == "application/problem+json")
            let upper = try await API.post(client, "/v1/auth/register", loginBody("ZO\u{0045}\u{0308}@EXAMPLE.COM", API.password))
            #expect(upper.status == .conflict)
            let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first)
            do {
                _ = try await auth.createUser(email: composed, password: API.password, role: .admin)
                Issue.record("admin create-user made a second account for the same visible address")
            } catch let error as any ProblemConvertible {
                #expect(error.problem.status == 409)
            }
            #expect(try await API.accountCount(platform) == 1)
            let session = try await API.login(client, composed)
            _ = try await API.login(client, decomposed)
            try await API.eventually("the profile") { try await API.get(client, "/v1/users/me", authorization: session.authorization).status == .ok }
            let me = try await API.get(client, "/v1/users/me", authorization: session.authorization)
            #expect(me.json["id"] as? String == id)
            let shown = try #require(me.json["email"] as? String)
            #expect(Array(shown.unicodeScalars) == Array(composed.unicodeScalars), "stored in its canonical (NFC) form")
        }
    }

    // MARK: 4. Passwords over 72 bytes

    /// 72 bytes is the most bcrypt reads: longer passwords are a 400 naming the field and the
    /// limit at registration (and for `emporium admin create-user`), and never log in.
    static func passwordsOverBcryptsLimit(_ kind: DatabaseKind) async throws {
        let base = "Tr0ub4dor&3 correct horse battery staple, "
        let seventyTwo = String((base + base).prefix(72))
        #expect(seventyTwo.utf8.count == 72)
        try await TestPlatform.withClient(kind) { client, platform throws in
            let before = try await API.accountCount(platform)
            for password in [seventyTwo + "!", String(repeating: "\u{00E9}t\u{00E9} ", count: 15)] {
                #expect(password.count <= 128 && password.utf8.count > 72)
                let response = try await API.post(client, "/v1/auth/register", loginBody("long@example.com", password))
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/problem+json")
                let errors = response.json["errors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["field"] as? String == "password" && ($0["detail"] as? String)?.contains("72 bytes") == true }, "\(errors)")
            }
            let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first)
            do {
                _ = try await auth.createUser(email: "root@example.com", password: seventyTwo + "tail", role: .admin)
                Issue.record("created with a password over 72 bytes")
            } catch let problem as ProblemDetails {
                #expect(problem.status == 400)
                #expect(problem.errors?.first?.field == "password")
            }
            #expect(try await API.accountCount(platform) == before, "nothing written")

            try await API.register(client, "long@example.com", password: seventyTwo)
            _ = try await API.login(client, "long@example.com", password: seventyTwo)
            let tail = try await API.post(client, "/v1/auth/login", loginBody("long@example.com", seventyTwo + " and any tail"))
            #expect(tail.status == .unauthorized, "bcrypt would have matched the first 72 bytes")
            #expect(tail.json["detail"] as? String == "The email or password is wrong.")
        }
    }

    // MARK: 5. Headers

    /// Every route of the platform (walked from its route table), plus 404, 405 and problem
    /// responses, carries `X-Content-Type-Options: nosniff`; every response under the prefixes
    /// the services declare private (`/v1/auth`, `/v1/users`, `/v1/audit`, `/v1/cart`), errors
    /// included, carries `Cache-Control: no-store`.
    static func securityHeadersOnEveryRoute() async throws {
        try await TestPlatform.withClient(.sqlite) { client, platform throws in
            let id = UUID.v7().lowercased
            let privatePrefixes = platform.services.flatMap(\.privatePathPrefixes)
            #expect(Set(["/v1/auth", "/v1/users", "/v1/audit", "/v1/cart"]).isSubset(of: privatePrefixes))
            func isPrivate(_ path: String) -> Bool {
                privatePrefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
            }
            func check(_ response: TestResponse, _ what: String) {
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(what): \(response.status)")
                if isPrivate(what.split(separator: " ").last.map(String.init) ?? "") {
                    #expect(response.headers[.cacheControl] == "no-store", "\(what): \(response.status)")
                } else {
                    #expect(response.headers[.cacheControl] != "no-store", "\(what)")
                }
            }
            let routes = platform.routes.all
            #expect(routes.count >= 20)
            #expect(routes.contains { isPrivate($0.path) } && routes.contains { !isPrivate($0.path) })
            for route in routes {
                let path = route.path.replacingOccurrences(of: #"\{[^}]+\}"#, with: id, options: .regularExpression)
                let method = HTTPRequest.Method(route.method)!
                let body = [.post, .put, .patch].contains(method) ? "{}" : nil
                check(try await execute(client, method, path, body: body), "\(route.method) \(path)")
                // The same route with a token, for the responses that succeed.
                let admin = try await TestPlatform.authorization(platform, roles: [.admin])
                check(try await execute(client, method, path, body: body, authorization: admin), "\(route.method) \(path)")
            }
            check(try await execute(client, .get, "/v1/nothing-here"), "GET /v1/nothing-here")
            check(try await execute(client, .get, "/v1/users/me/nothing-here"), "GET /v1/users/me/nothing-here")
            check(try await execute(client, .delete, "/v1/auth/login"), "DELETE /v1/auth/login")
            check(try await execute(client, .post, "/v1/auth/login", body: "not json"), "POST /v1/auth/login")
            // Successful token and profile responses.
            try await API.register(client, "headers@example.com")
            let login = try await API.post(client, "/v1/auth/login", loginBody("headers@example.com", API.password))
            #expect(login.status == .ok)
            check(login, "POST /v1/auth/login")
            let access = "Bearer " + (try #require(login.json["accessToken"] as? String))
            try await API.eventually("the profile") { try await API.get(client, "/v1/users/me", authorization: access).status == .ok }
            check(try await API.get(client, "/v1/users/me", authorization: access), "GET /v1/users/me")
            check(try await API.get(client, "/v1/products?limit=1"), "GET /v1/products")
        }
    }

    /// A hostile `kid` or `alg` (10 KB) is not repeated in `WWW-Authenticate` or the problem.
    static func refusedTokensEchoNothing() async throws {
        try await TestPlatform.withClient(.sqlite) { client, _ throws in
            let huge = String(repeating: "K", count: 10_000)
            let claims = API.base64URL(Data(#"{"sub":"u","exp":9999999999}"#.utf8))
            let signature = API.base64URL(Data(repeating: 7, count: 64))
            for header in [#"{"alg":"ES256","kid":"\#(huge)"}"#, #"{"alg":"\#(huge)","kid":"k"}"#, #"{"alg":"ES256","kid":"a\"b, error=\"x"}"#] {
                let token = "\(API.base64URL(Data(header.utf8))).\(claims).\(signature)"
                let response = try await API.get(client, "/v1/users/me", authorization: "Bearer \(token)")
                #expect(response.status == .unauthorized)
                let challenge = try #require(response.headers[.wwwAuthenticate])
                #expect(challenge.utf8.count < 200, "\(challenge.utf8.count) bytes")
                #expect(!challenge.contains("KKKK") && !challenge.contains("a\"b"))
                let detail = try #require(response.json["detail"] as? String)
                #expect(detail.utf8.count < 200 && !detail.contains("KKKK") && !detail.contains("a\"b"))
            }
        }
    }

    // MARK: 6. A stale access token on routes that need none

    /// Register, login, refresh and logout work with an expired or forged bearer token (it is
    /// ignored there); a route that needs a user still answers 401 with the reason.
    static func staleBearerOnOpenRoutes(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, platform throws in
            let auth = try #require(platform.services.lazy.compactMap { $0 as? AuthService }.first)
            let expired = "Bearer " + (try await auth.issueAccessToken(userID: UUID.v7().lowercased, roles: [.customer], now: Date.now.addingTimeInterval(-3600)))
            let forged = "Bearer " + (try await SigningKeyRing().issue(subject: "u", roles: [.admin], issuer: "emporium", audience: "emporium"))
            for (name, stale) in [("expired", expired), ("forged", forged)] {
                let email = "stale-\(name)@example.com"
                let registered = try await API.post(client, "/v1/auth/register", loginBody(email, API.password), authorization: stale)
                #expect(registered.status == .created, "register with an \(name) token")
                let login = try await API.post(client, "/v1/auth/login", loginBody(email, API.password), authorization: stale)
                #expect(login.status == .ok, "login with an \(name) token")
                let refreshToken = try #require(login.json["refreshToken"] as? String)
                let refreshed = try await API.post(client, "/v1/auth/refresh", #"{"refreshToken": "\#(refreshToken)"}"#, authorization: stale)
                #expect(refreshed.status == .ok, "refresh with an \(name) token: \(String(buffer: refreshed.body))")
                let next = try #require(refreshed.json["refreshToken"] as? String)
                #expect(try await API.get(client, "/v1/products?limit=1", authorization: stale).status == .ok)
                #expect(try await API.get(client, "/.well-known/jwks.json", authorization: stale).status == .ok)
                #expect(try await API.get(client, "/health/live", authorization: stale).status == .ok)
                let protected = try await API.get(client, "/v1/users/me", authorization: stale)
                #expect(protected.status == .unauthorized, "a route that needs a user")
                #expect(protected.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                #expect((protected.json["detail"] as? String)?.contains(name == "expired" ? "expired" : "unknown") == true, "\(protected.json)")
                let logout = try await API.post(client, "/v1/auth/logout", #"{"refreshToken": "\#(next)"}"#, authorization: stale)
                #expect(logout.status == .noContent, "logout with an \(name) token")
            }
        }
    }

    // MARK: 7. Bounded lists

    /// At most 20 addresses per account (the 21st is a 422 naming the limit, nothing written);
    /// the list pages with `limit` and `cursor` like every list.
    static func capsAndPagesAddresses(_ kind: DatabaseKind) async throws {
        try await TestPlatform.withClient(kind) { client, _ throws in
            try await API.register(client, "addresses@example.com")
            let session = try await API.login(client, "addresses@example.com")
            try await API.eventually("the profile") { try await API.get(client, "/v1/users/me", authorization: session.authorization).status == .ok }
            func add(_ index: Int) async throws -> TestResponse {
                try await API.post(
                    client, "/v1/users/me/addresses", #"{"line1": "\#(index) High St", "city": "Leeds", "postalCode": "LS1 1AA", "country": "GB"}"#,
                    authorization: session.authorization
                )
            }
            var added: [String] = []
            for index in 1...20 {
                let response = try await add(index)
                #expect(response.status == .created)
                added.append(try #require(response.json["id"] as? String))
            }
            let over = try await add(21)
            #expect(over.status == .unprocessableContent)
            #expect(over.headers[.contentType] == "application/problem+json")
            #expect((over.json["detail"] as? String)?.contains("20") == true)
            #expect(((over.json["errors"] as? [[String: Any]])?.first?["field"] as? String) == "addresses")

            var seen: [String] = []
            var uri = "/v1/users/me/addresses?limit=6"
            var pages = 0
            while true {
                let page = try await API.get(client, uri, authorization: session.authorization)
                #expect(page.status == .ok)
                let items = page.json["items"] as? [[String: Any]] ?? []
                #expect(items.count <= 6)
                seen += items.compactMap { $0["id"] as? String }
                pages += 1
                guard let cursor = page.json["nextCursor"] as? String, pages < 10 else { break }
                uri = "/v1/users/me/addresses?limit=6&cursor=\(cursor)"
            }
            #expect(pages == 4)
            #expect(seen == added, "every address once, oldest first")
            let first = try await API.get(client, "/v1/users/me/addresses", authorization: session.authorization)
            #expect((first.json["items"] as? [[String: Any]])?.count == 20, "the default limit is 20")
            #expect(first.json["nextCursor"] == nil)
            for (query, parameter) in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=nonsense!", "cursor")] {
                let response = try await API.get(client, "/v1/users/me/addresses?\(query)", authorization: session.authorization)
                #expect(response.status == .badRequest, "\(query)")
                #expect(((response.json["errors"] as? [[String: Any]])?.first?["parameter"] as? String) == parameter)
            }
        }
    }
}

@Suite("Identity hardening on SQLite")
struct IdentityHardeningSQLiteTests {
    @Test func concurrentLoginsForOneAccount() async throws { try await IdentityHardeningContract.concurrentLoginsForOneAccount(.sqlite) }
    @Test func concurrentLoginsFromOneAddress() async throws { try await IdentityHardeningContract.concurrentLoginsFromOneAddress(.sqlite) }
    @Test func emailSpellingsAreOneAccount() async throws { try await IdentityHardeningContract.emailSpellingsAreOneAccount(.sqlite) }
    @Test func passwordsOverBcryptsLimit() async throws { try await IdentityHardeningContract.passwordsOverBcryptsLimit(.sqlite) }
    @Test func securityHeadersOnEveryRoute() async throws { try await IdentityHardeningContract.securityHeadersOnEveryRoute() }
    @Test func refusedTokensEchoNothing() async throws { try await IdentityHardeningContract.refusedTokensEchoNothing() }
    @Test func staleBearerOnOpenRoutes() async throws { try await IdentityHardeningContract.staleBearerOnOpenRoutes(.sqlite) }
    @Test func capsAndPagesAddresses() async throws { try await IdentityHardeningContract.capsAndPagesAddresses(.sqlite) }
}

@Suite("Identity hardening on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct IdentityHardeningPostgresTests {
    @Test func concurrentLoginsForOneAccount() async throws { try await IdentityHardeningContract.concurrentLoginsForOneAccount(.postgres) }
    @Test func concurrentLoginsFromOneAddress() async throws { try await IdentityHardeningContract.concurrentLoginsFromOneAddress(.postgres) }
    @Test func emailSpellingsAreOneAccount() async throws { try await IdentityHardeningContract.emailSpellingsAreOneAccount(.postgres) }
    @Test func passwordsOverBcryptsLimit() async throws { try await IdentityHardeningContract.passwordsOverBcryptsLimit(.postgres) }
    @Test func staleBearerOnOpenRoutes() async throws { try await IdentityHardeningContract.staleBearerOnOpenRoutes(.postgres) }
    @Test func capsAndPagesAddresses() async throws { try await IdentityHardeningContract.capsAndPagesAddresses(.postgres) }
}
