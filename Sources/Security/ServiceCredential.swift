public import Crypto
public import Foundation

/// The credential one Emporium service shows another on a call to its `/internal/` routes: an
/// HMAC-SHA256 signature, made with a secret every service of the deployment shares, over the
/// caller's name, the time, the method, the path with its query and the body's SHA-256.
///
/// The secret never travels: a captured call proves nothing about any other call, and is refused
/// once ``maximumClockSkew`` has passed. The header value is
/// `v1 caller=<name> time=<unix seconds> signature=<base64url>`. See docs/adr/0003-service-credentials.md.
public struct ServiceCredential: Sendable {
    /// The header that carries the credential.
    public static let headerName = "Emporium-Service-Credential"
    /// How far the signed time may be from the callee's clock, either way.
    public static let maximumClockSkew: TimeInterval = 60
    /// The shortest secret accepted, in bytes.
    public static let minimumSecretLength = 32

    private let key: SymmetricKey

    /// A credential from the shared secret.
    /// - Throws: ``ServiceCredentialError/secretTooShort`` below ``minimumSecretLength`` bytes.
    public init(secret: Data) throws(ServiceCredentialError) {
        guard secret.count >= Self.minimumSecretLength else { throw .secretTooShort }
        key = SymmetricKey(data: secret)
    }

    /// A key of 256 bits for `purpose` (`storefront.csrf`), derived from the shared secret with
    /// HKDF-SHA256: a service that needs a key of its own gets one without another setting, and
    /// no derived key reveals the secret or any other derived key.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("emporium-derived-key-v1\n\(purpose)".utf8), outputByteCount: 32)
    }

    /// A new random secret of 32 bytes.
    public static func generateSecret() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    /// The header value for a call from `caller` of `method` on `target` (the path with its
    /// query, as sent) with `body` (empty when there is none), signed at `time`.
    public func sign(caller: String, method: String, target: String, body: some DataProtocol, at time: Date = .now) -> String {
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        let signature = authenticationCode(caller: caller, seconds: seconds, method: method, target: target, body: body)
        return "v1 caller=\(caller) time=\(seconds) signature=\(Base64URL.encode(Data(signature)))"
    }

    /// The calling service's name when `header` is a valid credential for this call at `now`.
    /// - Throws: ``ServiceCredentialError`` saying what is wrong (never anything secret).
    public func verify(
        _ header: String, method: String, target: String, body: some DataProtocol, now: Date = .now
    ) throws(ServiceCredentialError) -> String {
        var fields: [Substring: Substring] = [:]
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.first == "v1", parts.count == 4 else { throw .malformed }
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { throw .malformed }
            fields[part[..<equals]] = part[part.index(after: equals)...]
        }
        guard let caller = fields["caller"], Self.isServiceName(caller),
            let timeText = fields["time"], let seconds = Int64(timeText),
            let signatureText = fields["signature"], let signature = Base64URL.decodeCanonical(signatureText)
        else { throw .malformed }
        guard abs(now.timeIntervalSince1970 - TimeInterval(seconds)) <= Self.maximumClockSkew else { throw .expired }
        let message = Self.message(caller: caller, seconds: seconds, method: method, target: target, body: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: key) else { throw .badSignature }
        return String(caller)
    }

    private func authenticationCode(caller: String, seconds: Int64, method: String, target: String, body: some DataProtocol) -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: Self.message(caller: caller[...], seconds: seconds, method: method, target: target, body: body), using: key)
    }

    /// What is signed: a fixed label, then each part on its own line, the body as its SHA-256.
    private static func message(caller: Substring, seconds: Int64, method: String, target: String, body: some DataProtocol) -> Data {
        let hex = Array("0123456789abcdef".utf8)
        var digest = ""
        digest.reserveCapacity(64)
        for byte in SHA256.hash(data: body) {
            digest.unicodeScalars.append(UnicodeScalar(hex[Int(byte >> 4)]))
            digest.unicodeScalars.append(UnicodeScalar(hex[Int(byte & 0x0F)]))
        }
        return Data("emporium-service-call-v1\n\(caller)\n\(seconds)\n\(method)\n\(target)\n\(digest)".utf8)
    }

    /// A service name as the runtime spells them: 1–40 lower-case letters, digits and hyphens.
    public static func isServiceName(_ name: some StringProtocol) -> Bool {
        (1...40).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}

/// Why a service credential was refused.
public enum ServiceCredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured secret is shorter than ``ServiceCredential/minimumSecretLength`` bytes.
    case secretTooShort
    /// No credential header on an internal call.
    case missing
    /// The header is not `v1 caller=… time=… signature=…`.
    case malformed
    /// The signed time is more than ``ServiceCredential/maximumClockSkew`` from now.
    case expired
    /// The signature does not match this call under this deployment's secret.
    case badSignature

    public var description: String {
        switch self {
        case .secretTooShort: "the service secret must be at least \(ServiceCredential.minimumSecretLength) bytes"
        case .missing: "internal routes need the \(ServiceCredential.headerName) header of a calling service"
        case .malformed: "the \(ServiceCredential.headerName) header is not a service credential"
        case .expired: "the service credential's time is too far from this server's clock"
        case .badSignature: "the service credential's signature does not match this call"
        }
    }
}
