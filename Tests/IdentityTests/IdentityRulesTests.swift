import EmporiumKit
import Foundation
@testable import Identity
import Security
import Testing

@Suite struct IdentityRulesTests {
    @Test(arguments: ["ada@example.com", " Ada.Lovelace+shop@Mail.Example.co.uk ", "x@a-b.io"])
    func acceptsEmails(_ email: String) throws {
        let normalized = try IdentityRules.normalizedEmail(email).get()
        #expect(normalized == email.trimmingCharacters(in: .whitespaces).lowercased())
    }

    @Test(arguments: ["", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a da@example.com",
                      "ada@exa_mple.com", "ada@-example.com", "ada@example..com", "ada@exämple.com",
                      String(repeating: "a", count: 65) + "@example.com"])
    func refusesEmails(_ email: String) {
        guard case .failure(let problem) = IdentityRules.normalizedEmail(email) else {
            Issue.record("\(email) was accepted")
            return
        }
        #expect(problem.status == 400)
        #expect(problem.errors?.first?.field == "email")
    }

    @Test func registrationNamesEveryBadField() {
        do {
            _ = try IdentityRules.validate(RegistrationRequest(email: "nope", password: "short"))
            Issue.record("accepted")
        } catch {
            #expect(Set(error.errors?.compactMap(\.field) ?? []) == ["email", "password"])
        }
        do {
            _ = try IdentityRules.validate(RegistrationRequest(email: "ada@example.com", password: "password1234"))
            Issue.record("a common password was accepted")
        } catch {
            #expect(error.errors?.first?.detail.contains("common") == true)
        }
        #expect((try? IdentityRules.validate(RegistrationRequest(email: "Ada@Example.com", password: "correct horse battery"))).map(\.email) == "ada@example.com")
    }

    @Test func emailsAreCanonicalNFCThenLowerCase() throws {
        let composed = try IdentityRules.normalizedEmail("Zo\u{00CB}@Example.com").get()
        let decomposed = try IdentityRules.normalizedEmail(" ZO\u{0045}\u{0308}@example.COM").get()
        #expect(Array(composed.unicodeScalars) == Array("zo\u{00EB}@example.com".unicodeScalars))
        #expect(Array(decomposed.unicodeScalars) == Array(composed.unicodeScalars))
        let index = SecuritySettings.ephemeral(bcryptCost: 4).blindIndex
        #expect(index.email("zo\u{0065}\u{0308}@example.com") == index.email("ZO\u{00CB}@example.com"))
    }

    @Test func passwordsOver72BytesAreRefused() {
        let seventyTwo = String(repeating: "Tr0ub4dor&3 ", count: 6)
        #expect(seventyTwo.utf8.count == 72)
        #expect(PasswordPolicy.refusal(of: seventyTwo, email: "ada@example.com") == nil)
        #expect(PasswordPolicy.refusal(of: seventyTwo + "x", email: "ada@example.com")?.contains("72 bytes") == true)
        // 44 characters, 77 bytes.
        #expect(PasswordPolicy.refusal(of: String(repeating: "\u{00E9}t\u{00E9}\u{00E0}", count: 11), email: "ada@example.com")?.contains("72 bytes") == true)
        do {
            _ = try IdentityRules.validate(RegistrationRequest(email: "ada@example.com", password: seventyTwo + "!"))
            Issue.record("accepted")
        } catch {
            #expect(error.errors?.first?.field == "password")
        }
    }

    @Test func throttleLocksFromTheFifthFailureAndDoublesUpToFifteenMinutes() {
        let throttle = LoginThrottle()
        #expect((1...4).allSatisfy { throttle.lock(afterFailures: $0) == nil })
        #expect(throttle.lock(afterFailures: 5) == .seconds(30))
        #expect(throttle.lock(afterFailures: 6) == .seconds(60))
        #expect(throttle.lock(afterFailures: 7) == .seconds(120))
        #expect(throttle.lock(afterFailures: 20) == .seconds(900))
        #expect(throttle.lock(afterFailures: 10_000) == .seconds(900))
    }

    @Test func refreshTokensAreRandom256BitsStoredAsHashes() {
        let tokens = (0..<100).map { _ in RefreshToken.generate() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy(RefreshToken.isWellFormed))
        #expect(tokens.allSatisfy { Data(base64Encoded: $0.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=")?.count == 32 })
        let hash = RefreshToken.hash(tokens[0])
        #expect(hash.count == 64 && !hash.contains(tokens[0]))
        #expect(!RefreshToken.isWellFormed("not a token"))
    }

    @Test func profileChangesAreValidated() throws {
        #expect(try ProfileRules.validate(ProfileChanges(name: "  Ada Lovelace ", phone: "+44 20 7946 0958")).name == "Ada Lovelace")
        #expect(try ProfileRules.validate(ProfileChanges(name: nil, phone: "")).phone == "", "an empty phone clears it")
        for phone in ["12", "phone", "+44 20 7946 0958 0000 1111", "44+20"] {
            #expect(throws: ProblemDetails.self, "\(phone)") { try ProfileRules.validate(ProfileChanges(name: nil, phone: phone)) }
        }
        #expect(throws: ProblemDetails.self) { try ProfileRules.validate(ProfileChanges(name: String(repeating: "n", count: 201), phone: nil)) }
    }

    @Test func addressesAreValidatedAndNormalised() throws {
        let address = try ProfileRules.validate(
            NewAddress(line1: " 1 Main St ", line2: "", city: "Leeds", region: nil, postalCode: "LS1 1AA", country: "gb"), id: "a"
        )
        #expect(address.line1 == "1 Main St" && address.line2 == nil && address.country == "GB")
        do {
            _ = try ProfileRules.validate(NewAddress(line1: "", line2: nil, city: " ", region: nil, postalCode: "", country: "GBR"), id: "a")
            Issue.record("accepted")
        } catch {
            #expect(Set(error.errors?.compactMap(\.field) ?? []) == ["line1", "city", "postalCode", "country"])
        }
    }

    @Test func rolesMustBeKnownAndAtLeastOne() throws {
        #expect(try ProfileRules.roles(RolesRequest(roles: ["admin", "customer", "admin"])) == [.admin, .customer])
        #expect(throws: ProblemDetails.self) { try ProfileRules.roles(RolesRequest(roles: [])) }
        do {
            _ = try ProfileRules.roles(RolesRequest(roles: ["customer", "root"]))
            Issue.record("accepted")
        } catch {
            #expect(error.errors?.first?.field == "roles[1]")
        }
    }
}
