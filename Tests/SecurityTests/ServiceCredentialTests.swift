import Foundation
import Security
import Testing

@Suite("Service credential")
struct ServiceCredentialTests {
    let credential = try! ServiceCredential(secret: ServiceCredential.generateSecret())
    let body = Data(#"{"skus":["A-1"]}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func signedCallVerifiesAndNamesTheCaller() throws {
        let header = credential.sign(caller: "cart", method: "POST", target: "/internal/v1/catalog/variants/lookup", body: body, at: now)
        #expect(header.hasPrefix("v1 caller=cart time=1800000000 signature="))
        let caller = try credential.verify(header, method: "POST", target: "/internal/v1/catalog/variants/lookup", body: body, now: now.addingTimeInterval(59))
        #expect(caller == "cart")
    }

    @Test func anyChangeToTheCallIsRefused() {
        let target = "/internal/v1/inventory/reservations/1?x=1"
        let header = credential.sign(caller: "orders", method: "PUT", target: target, body: body, at: now)
        let other = try! ServiceCredential(secret: ServiceCredential.generateSecret())
        #expect(throws: ServiceCredentialError.badSignature) { try credential.verify(header, method: "POST", target: target, body: body, now: now) }
        #expect(throws: ServiceCredentialError.badSignature) { try credential.verify(header, method: "PUT", target: target + "2", body: body, now: now) }
        #expect(throws: ServiceCredentialError.badSignature) { try credential.verify(header, method: "PUT", target: target, body: body + [0x20], now: now) }
        #expect(throws: ServiceCredentialError.badSignature) { try other.verify(header, method: "PUT", target: target, body: body, now: now) }
        let renamed = header.replacingOccurrences(of: "caller=orders", with: "caller=cart")
        #expect(throws: ServiceCredentialError.badSignature) { try credential.verify(renamed, method: "PUT", target: target, body: body, now: now) }
        let retimed = header.replacingOccurrences(of: "time=1800000000", with: "time=1800000001")
        #expect(throws: ServiceCredentialError.badSignature) { try credential.verify(retimed, method: "PUT", target: target, body: body, now: now) }
    }

    @Test func oldOrFutureCredentialsAreRefused() {
        let header = credential.sign(caller: "cart", method: "GET", target: "/internal/x", body: Data(), at: now)
        #expect(throws: ServiceCredentialError.expired) { try credential.verify(header, method: "GET", target: "/internal/x", body: Data(), now: now.addingTimeInterval(61)) }
        #expect(throws: ServiceCredentialError.expired) { try credential.verify(header, method: "GET", target: "/internal/x", body: Data(), now: now.addingTimeInterval(-61)) }
    }

    @Test func malformedHeadersAreRefused() {
        let valid = credential.sign(caller: "cart", method: "GET", target: "/internal/x", body: Data(), at: now)
        for header in [
            "", "Bearer abc", "v2 caller=cart time=1800000000 signature=AAAA", "v1 caller=cart time=1800000000",
            "v1 caller=Cart time=1800000000 signature=AAAA", "v1 caller=cart time=soon signature=AAAA",
            valid + "=", valid.replacingOccurrences(of: "signature=", with: "signature=*"),
            valid + " extra=1",
        ] {
            #expect(throws: ServiceCredentialError.malformed, "\(header)") {
                try credential.verify(header, method: "GET", target: "/internal/x", body: Data(), now: now)
            }
        }
    }

    @Test func shortSecretsAreRefused() {
        #expect(throws: ServiceCredentialError.secretTooShort) { try ServiceCredential(secret: Data(repeating: 7, count: 31)) }
    }
}
