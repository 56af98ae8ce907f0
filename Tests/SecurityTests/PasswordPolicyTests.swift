import Security
import Testing

@Suite("Password policy")
struct PasswordPolicyTests {
    @Test("acceptable passwords", arguments: ["correct battery staple horse", "Tr0ub4dor&3-ZEBRA", "mein Kätzchen frißt Äpfel", "vN9#qL2!xR7@"])
    func accepted(password: String) {
        #expect(PasswordPolicy.refusal(of: password, email: "ada@example.com") == nil)
    }

    @Test("refused passwords say why", arguments: [
        ("short1!", "at least 12"),
        ("password1234", "common"),
        ("PASSWORD1234", "common"),
        ("passwordpasswordpa", "common"),
        ("letmein2024!!!", "common"),
        ("aaaaaaaaaaaa", "common"),
        ("aaaaaaaaaaaaaa", "few characters"),
        ("abababababababab", "few characters"),
        ("abcdefghijklmnop", "sequence"),
        ("ada.lovelace-1815!", "email"),
    ])
    func refused(password: String, reason: String) throws {
        let refusal = try #require(PasswordPolicy.refusal(of: password, email: "Ada.Lovelace@example.com"))
        #expect(refusal.contains(reason), "\(password): \(refusal)")
        #expect(!refusal.contains(password))
    }

    @Test("at most 128 characters")
    func tooLong() {
        #expect(PasswordPolicy.refusal(of: String(repeating: "xY7#", count: 33), email: "a@b.c")?.contains("at most 128") == true)
    }
}
