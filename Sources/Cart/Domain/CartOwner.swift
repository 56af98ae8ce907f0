import Foundation
import Security

/// Whose cart a request addresses.
public enum CartOwner: Sendable, Hashable {
    /// A guest's cart, by the id the server issued (`X-Cart-Id`).
    case guest(String)
    /// A signed-in user's cart, by the user's id.
    case user(String)

    /// The id the cart's view shows: the guest cart's id, or the user's id.
    public var id: String {
        switch self {
        case .guest(let id), .user(let id): id
        }
    }

    /// Whether this is a guest's cart.
    public var isGuest: Bool {
        if case .guest = self { return true }
        return false
    }
}

/// The ids of guest carts: 128 random bits from the system's cryptographically secure generator
/// (`getrandom(2)` on Linux), as unpadded base64url (22 characters). Only the server makes them,
/// so an id cannot be guessed, and a client cannot choose one: an id the store does not know
/// starts a new cart under a new id.
public enum GuestCartID {
    /// Random bytes per id.
    public static let byteCount = 16
    /// Characters per id.
    public static let length = 22

    /// A new id.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        return Base64URL.encode(Data(bytes))
    }

    /// Whether `text` has the shape of an id this server issues: the canonical base64url of 16
    /// bytes. Anything else is never looked up.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == length && Base64URL.decodeCanonical(text)?.count == byteCount
    }
}
