import Crypto
import Foundation

/// Opaque refresh tokens: 256 random bits, base64url; only their SHA-256 is stored, so a leaked
/// table cannot be replayed.
enum RefreshToken {
    /// A new token.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What is stored for `token`: its SHA-256, hex.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `token` has the shape of one of ours (43 base64url characters).
    static func isWellFormed(_ token: String) -> Bool {
        token.count == 43 && token.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }
    }
}

/// The token pair a login or refresh answers with.
struct TokenResponse: Codable, Sendable {
    var accessToken: String
    var refreshToken: String
    var tokenType = "Bearer"
    /// Seconds until the access token expires.
    var expiresIn: Int
}
