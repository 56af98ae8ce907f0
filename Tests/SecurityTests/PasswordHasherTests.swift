import Security
import Testing

@Suite("Password hashing")
struct PasswordHasherTests {
    let hasher = PasswordHasher(cost: 4)

    @Test("a bcrypt hash verifies its password only, and is salted")
    func hashAndVerify() async throws {
        let hash = try await hasher.hash("correct battery staple horse")
        #expect(hash.hasPrefix("$2"))
        #expect(!hash.contains("correct"))
        #expect(try await hasher.verify("correct battery staple horse", against: hash))
        #expect(try await !hasher.verify("correct battery staple horsE", against: hash))
        #expect(try await hasher.hash("correct battery staple horse") != hash)
    }

    @Test("no stored hash (unknown account) never verifies")
    func unknownAccount() async throws {
        #expect(try await !hasher.verify("anything at all", against: nil))
        #expect(try await !hasher.verify("", against: nil))
    }
}
