public import Crypto
import Foundation

/// The signature of a webhook delivery, in the scheme of Standard Webhooks (the one Svix
/// documents and its libraries verify; Stripe's is the same idea with other headers):
///
/// - `webhook-id`: the delivery's id, the same on every retry (receivers dedupe by it);
/// - `webhook-timestamp`: seconds since 1970 when this try was sent (receivers refuse old ones,
///   so a captured request cannot be replayed later);
/// - `webhook-signature`: `v1,` and the base64 of HMAC-SHA256 over `id.timestamp.body`, keyed
///   with the secret's bytes (the base64 after `whsec_`).
public enum WebhookSignature {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// What every secret starts with.
    public static let secretPrefix = "whsec_"

    /// A new secret: `whsec_` and the base64 of 32 random bytes.
    public static func newSecret() -> String {
        secretPrefix + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// The key of `secret`; nil when it is not a `whsec_` secret.
    public static func key(of secret: String) -> SymmetricKey? {
        guard secret.hasPrefix(secretPrefix), let bytes = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count))), !bytes.isEmpty else {
            return nil
        }
        return SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` value of `body` sent as delivery `id` at `timestamp`.
    public static func sign(key: SymmetricKey, id: String, timestamp: Int64, body: some DataProtocol) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }
}
