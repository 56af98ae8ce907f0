/// An error reply sent by the Redis server, such as
/// `WRONGTYPE Operation against a key holding the wrong kind of value`.
///
/// Redis starts every error message with an upper-case word naming the kind of error
/// (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `NOAUTH`, `WRONGPASS`, `BUSY`...). ``code`` is that word and
/// ``message`` the rest, so callers can branch on the kind without parsing text:
///
/// ```swift
/// do { try await redis.incr("cart:42") }
/// catch let error as RESPError where error.code == "WRONGTYPE" { ... }
/// ```
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error prefix (`ERR`, `WRONGTYPE`, `NOSCRIPT`...), or `ERR` when the reply had none.
    public var code: String
    /// The text after the prefix.
    public var message: String

    /// Creates an error from its parts.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// Splits a raw error line (without the leading `-`) into its prefix and message.
    ///
    /// The prefix is the first word when it is made only of upper-case letters, digits and `_`
    /// (Redis's convention); otherwise the whole line is the message and the code is `ERR`.
    public init(line: String) {
        let firstSpace = line.firstIndex(of: " ") ?? line.endIndex
        let word = line[line.startIndex..<firstSpace]
        let isCode =
            !word.isEmpty
            && word.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        if isCode {
            self.code = String(word)
            let rest = line[firstSpace...].drop(while: { $0 == " " })
            self.message = String(rest)
        } else {
            self.code = "ERR"
            self.message = line
        }
    }

    /// The error as Redis sent it: `CODE message`.
    public var description: String {
        message.isEmpty ? code : "\(code) \(message)"
    }
}

extension RESPError {
    /// `WRONGTYPE`: the key holds a value of another type than the command expects.
    public static let wrongTypeCode = "WRONGTYPE"
    /// `NOSCRIPT`: EVALSHA named a script the server has not cached.
    public static let noScriptCode = "NOSCRIPT"
    /// `NOAUTH`: the server needs authentication first.
    public static let noAuthCode = "NOAUTH"
    /// `WRONGPASS`: the user name or password was rejected.
    public static let wrongPassCode = "WRONGPASS"
}
