import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Security
import Testing

/// The authentication middleware and RBAC on a small router: real tokens from a key ring.
@Suite("Authentication and RBAC")
struct AuthenticationTests {
    static let issuer = "https://auth.emporium.test"
    static let audience = "emporium"

    /// Routes guarded by each permission, plus one open route and one that needs any user.
    static func application(ring: SigningKeyRing) async -> some ApplicationProtocol {
        let verifier = await AccessTokenVerifier(issuer: issuer, audience: audience, publicKeys: ring.verificationKeys)
        let routes = RouteTable()
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        router.add(middleware: RequestIdMiddleware())
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.add(middleware: AuthenticationMiddleware(authenticator: verifier))
        router.get("/open") { _, _ in "open" }
        router.get("/who") { _, context in context.principal?.subject ?? "anonymous" }
        router.get("/me") { _, context in try context.requirePrincipal().subject }
        for permission in Permission.allCases {
            router.get("/guarded/\(permission.rawValue)") { _, context in
                try context.requirePermission(permission)
                return "allowed"
            }
        }
        return Application(router: router)
    }

    static func token(_ ring: SigningKeyRing, roles: Set<Role>, audience: String = audience, issuedAt: Date = .now) async throws -> String {
        try await ring.issue(subject: "user-7", roles: roles, issuer: issuer, audience: audience, now: issuedAt)
    }

    @Test("every role against every permission-guarded route: allowed exactly where the table says")
    func rbacMatrix() async throws {
        let ring = SigningKeyRing()
        var tokens: [Role: String] = [:]
        for role in Role.allCases { tokens[role] = try await Self.token(ring, roles: [role]) }
        let roleTokens = tokens
        try await Self.application(ring: ring).test(.router) { client in
            for role in Role.allCases {
                for permission in Permission.allCases {
                    let expected: HTTPResponse.Status = RolePermissions.table[role]!.contains(permission) ? .ok : .forbidden
                    try await client.execute(
                        uri: "/guarded/\(permission.rawValue)", method: .get, headers: [.authorization: "Bearer \(roleTokens[role]!)"]
                    ) { response in
                        #expect(response.status == expected, "\(role) → \(permission)")
                        if expected == .forbidden {
                            #expect(response.headers[.contentType] == "application/problem+json")
                            #expect(String(buffer: response.body).contains(permission.rawValue))
                        }
                    }
                }
            }
            // Anonymous: open routes work, guarded ones say 401 with a challenge.
            try await client.execute(uri: "/open", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/guarded/catalog.write", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test("expired, tampered, alg none, HS256-with-the-public-key, wrong audience, unknown key, wrong scheme → 401 problem+json")
    func refusedTokens() async throws {
        let ring = SigningKeyRing()
        let valid = try await Self.token(ring, roles: [.admin])
        let parts = valid.split(separator: ".").map(String.init)
        func segment(_ object: [String: Any]) throws -> String {
            try JSONSerialization.data(withJSONObject: object).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        var claims = try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: Self.padded(parts[1]))!) as? [String: Any])
        claims["sub"] = "someone-else"
        let tampered = [parts[0], try segment(claims), parts[2]].joined(separator: ".")
        let algNone = [try segment(["alg": "none", "typ": "JWT", "kid": ring.activeKey.id]), parts[1], ""].joined(separator: ".")
        let confused = [try segment(["alg": "HS256", "typ": "JWT", "kid": ring.activeKey.id]), parts[1], parts[2]].joined(separator: ".")
        let expired = try await Self.token(ring, roles: [.admin], issuedAt: Date.now.addingTimeInterval(-3600))
        let wrongAudience = try await Self.token(ring, roles: [.admin], audience: "another-api")
        let unknownKey = try await Self.token(SigningKeyRing(), roles: [.admin])
        let cases: [(String, String, String)] = [
            ("expired", "Bearer \(expired)", "expired"),
            ("tampered", "Bearer \(tampered)", "signature"),
            ("alg none", "Bearer \(algNone)", "algorithm"),
            ("HS256 confusion", "Bearer \(confused)", "algorithm"),
            ("wrong audience", "Bearer \(wrongAudience)", "audience"),
            ("unknown key", "Bearer \(unknownKey)", "unknown"),
            ("wrong scheme", "Basic dXNlcjpwYXNz", "Bearer"),
            ("garbage", "Bearer not.a.jwt", "well-formed"),
        ]
        try await Self.application(ring: ring).test(.router) { client in
            try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(valid)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "user-7")
            }
            for (name, header, mention) in cases {
                try await client.execute(uri: "/me", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .unauthorized, "\(name)")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(name)")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(name)")
                    #expect(String(buffer: response.body).contains(mention), "\(name): \(String(buffer: response.body))")
                }
                // A route that needs no user ignores the bad token and serves the request anonymously
                // (a client that always sends its last, expired token can still log in or refresh).
                try await client.execute(uri: "/open", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .ok, "\(name) on an open route")
                }
                try await client.execute(uri: "/who", method: .get, headers: [.authorization: header]) { response in
                    #expect(String(buffer: response.body) == "anonymous", "\(name): no principal from a refused token")
                }
            }
        }
    }

    static func padded(_ base64URL: String) -> String {
        var base64 = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return base64
    }
}
