import Crypto
import Foundation
import Security
import Testing

@Suite("Personal data encryption and blind index")
struct PersonalDataTests {
    static func ring(_ keys: [String: SymmetricKey], active: String) throws -> DataKeyRing {
        try DataKeyRing(keys: keys, activeKeyID: active)
    }

    @Test("a sealed value opens to the plaintext, names its key, and never contains the plaintext")
    func roundTrip() throws {
        let cipher = FieldCipher(ring: try Self.ring(["k1": DataKeyRing.generateKey()], active: "k1"))
        let sealed = try cipher.seal("ada@example.com", field: "users.email")
        #expect(sealed.hasPrefix("v1.k1."))
        #expect(!sealed.contains("example.com"), "the plaintext is not in the sealed value")
        #expect(try cipher.open(sealed, field: "users.email") == "ada@example.com")
        #expect(try cipher.seal("ada@example.com", field: "users.email") != sealed, "a fresh nonce every time")
    }

    @Test("an altered ciphertext, another field's ciphertext, or an unknown key is refused")
    func refusals() throws {
        let cipher = FieldCipher(ring: try Self.ring(["k1": DataKeyRing.generateKey()], active: "k1"))
        let sealed = try cipher.seal("+49 30 1234567", field: "users.phone")
        var bytes = Data(base64Encoded: String(sealed.split(separator: ".")[2]))!
        bytes[bytes.count / 2] ^= 0x01
        let flipped = "v1.k1.\(bytes.base64EncodedString())"
        #expect(throws: FieldCipherError.authenticationFailed) { try cipher.open(flipped, field: "users.phone") }
        #expect(throws: FieldCipherError.authenticationFailed) { try cipher.open(sealed, field: "users.email") }
        #expect(throws: FieldCipherError.unknownKey("k9")) { try cipher.open(sealed.replacingOccurrences(of: "v1.k1.", with: "v1.k9."), field: "users.phone") }
        #expect(throws: FieldCipherError.malformed) { try cipher.open("plain text", field: "users.phone") }
    }

    @Test("after a rotation old values still open, report the old key, and re-encrypt under the new one")
    func rotation() throws {
        let old = DataKeyRing.generateKey()
        let before = FieldCipher(ring: try Self.ring(["k1": old], active: "k1"))
        let sealed = try before.seal("Ada Lovelace", field: "users.name")
        let after = FieldCipher(ring: try Self.ring(["k1": old, "k2": DataKeyRing.generateKey()], active: "k2"))
        #expect(try after.open(sealed, field: "users.name") == "Ada Lovelace")
        #expect(try after.needsReencryption(sealed))
        let resealed = try after.seal(try after.open(sealed, field: "users.name"), field: "users.name")
        #expect(try after.keyID(of: resealed) == "k2")
        #expect(try !after.needsReencryption(resealed))
    }

    @Test("a key ring must hold its active key and 256-bit keys")
    func invalidRings() {
        #expect(throws: FieldCipherError.self) { try DataKeyRing(keys: ["k1": DataKeyRing.generateKey()], activeKeyID: "k2") }
        #expect(throws: FieldCipherError.self) { try DataKeyRing(keys: ["k1": SymmetricKey(size: .bits128)], activeKeyID: "k1") }
        #expect(throws: FieldCipherError.self) { try DataKeyRing(keys: ["a.b": DataKeyRing.generateKey()], activeKeyID: "a.b") }
    }

    @Test("the email blind index ignores case and spaces, depends on its key, and hides the address")
    func blindIndex() {
        let key = SymmetricKey(size: .bits256)
        let index = BlindIndex(key: key)
        #expect(index.email("Ada@Example.com ") == index.email("ada@example.com"))
        #expect(index.email("ada@example.com") != index.email("bob@example.com"))
        #expect(BlindIndex(key: SymmetricKey(size: .bits256)).email("ada@example.com") != index.email("ada@example.com"))
        #expect(index.email("ada@example.com").count == 64)
        #expect(index.email("ada@example.com").allSatisfy { $0.isHexDigit && !$0.isUppercase }, "a digest, not the address")
    }
}

@Suite("Audit chain")
struct AuditChainTests {
    static func chain(_ count: Int) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        for index in 0..<count {
            entries.append(AuditEntry(
                after: entries.last, at: "2026-11-23T12:00:0\(index).000Z", actor: "user-\(index)", action: "login",
                target: "user-\(index)", details: #"{"ip":"10.0.0.\#(index)"}"#
            ))
        }
        return entries
    }

    @Test("an intact chain has no break")
    func intact() {
        let entries = Self.chain(5)
        #expect(AuditChain.firstBreak(in: entries) == nil)
        #expect(entries[0].previousHash == AuditEntry.genesis)
        #expect(entries[3].previousHash == entries[2].hash)
    }

    @Test("the first altered entry is named, whichever field changed")
    func altered() {
        for field in 0..<4 {
            var entries = Self.chain(6)
            switch field {
            case 0: entries[3].actor = "someone-else"
            case 1: entries[3].action = "logout"
            case 2: entries[3].details = #"{"ip":"1.2.3.4"}"#
            default: entries[3].at = "2020-01-01T00:00:00.000Z"
            }
            #expect(AuditChain.firstBreak(in: entries)?.sequence == 4)
        }
    }

    @Test("an altered entry whose hash was recomputed breaks the next link")
    func rehashed() {
        var entries = Self.chain(6)
        entries[2].action = "roles_changed"
        entries[2].hash = entries[2].computedHash()
        #expect(AuditChain.firstBreak(in: entries) == AuditChain.Break(sequence: 4, reason: "does not link to the entry before it"))
    }

    @Test("a removed or moved entry is found")
    func removedOrMoved() {
        var removed = Self.chain(6)
        removed.remove(at: 2)
        #expect(AuditChain.firstBreak(in: removed)?.sequence == 4)
        var moved = Self.chain(6)
        moved.swapAt(1, 2)
        #expect(AuditChain.firstBreak(in: moved)?.sequence == 3)
    }
}
