/// The rules a new password must meet (issue 5): at least 12 characters, at most 128 and at most
/// 72 bytes in UTF-8, not one of the common passwords shipped in ``CommonPasswords``, not a single
/// repeated character or an obvious sequence, and not built from the account's email address.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 128
    /// bcrypt reads the first 72 bytes of a password and ignores the rest, so a longer password
    /// would accept any tail: longer ones are refused (``PasswordHasher`` never matches them).
    public static let maximumBytes = 72

    /// Why `password` is refused for `email`, or nil when it is acceptable. The reason is safe
    /// to show (it never repeats the password).
    public static func refusal(of password: String, email: String) -> String? {
        lengthRefusal(of: password) ?? ruleRefusal(of: password, email: email)
    }

    /// Why `password` has the wrong length, or nil. Lengths count Unicode code points, as JSON
    /// Schema's `minLength` and `maxLength` do, so the OpenAPI document states them exactly (and
    /// its UTF-8 bytes, stated by ``OpenAPISchema``'s `maxUTF8Bytes`).
    public static func lengthRefusal(of password: String) -> String? {
        let length = password.unicodeScalars.count
        if length < minimumLength { return "must have at least \(minimumLength) characters" }
        if length > maximumLength { return "must have at most \(maximumLength) characters" }
        if password.utf8.count > maximumBytes {
            return "must have at most \(maximumBytes) bytes in UTF-8 (bcrypt ignores the rest); this one has \(password.utf8.count)"
        }
        return nil
    }

    /// Why a password of an acceptable length is refused (common, too few distinct characters, a
    /// sequence, built from the email), or nil: the rules a schema cannot state.
    public static func ruleRefusal(of password: String, email: String) -> String? {
        let folded = password.lowercased()
        if CommonPasswords.contains(folded) { return "is one of the most common passwords" }
        if Set(folded).count <= 2 { return "repeats too few characters" }
        if isSequence(folded) { return "is a simple sequence" }
        let localPart = email.split(separator: "@").first.map { $0.lowercased() } ?? ""
        if localPart.count >= 4, folded.contains(localPart) { return "must not contain the email address" }
        return nil
    }

    /// `abcdef…`, `123456…`, `987654…`: every character one code point after (or before) the last.
    private static func isSequence(_ text: String) -> Bool {
        let scalars = text.unicodeScalars.map(\.value)
        guard scalars.count > 2 else { return false }
        let steps = Set(zip(scalars.dropFirst(), scalars).map { Int64($0) - Int64($1) })
        return steps == [1] || steps == [-1]
    }
}

/// Passwords of 12 or more characters that appear near the top of published leak statistics,
/// lower-cased, plus the most common short passwords repeated or padded to 12. Shorter passwords
/// are refused by length anyway. Extend the list here; matching ignores case.
public enum CommonPasswords {
    static let base = [
        "password", "123456", "12345678", "qwerty", "abc123", "111111", "123123", "letmein", "welcome", "monkey",
        "dragon", "football", "baseball", "iloveyou", "trustno1", "sunshine", "master", "shadow", "superman",
        "princess", "qazwsx", "michael", "passw0rd", "p@ssw0rd", "admin", "login", "starwars", "whatever",
        "freedom", "hello", "charlie", "donald", "zaq1zaq1", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1q2w3e4r",
        "1qaz2wsx", "changeme", "secret", "computer", "internet", "summer", "winter", "spring", "autumn",
    ]

    static let long: Set<String> = [
        "123456789012", "1234567890123", "12345678901234", "123456789abc", "1234567890qwerty", "qwertyuiopasdfghjkl",
        "qwertyuiop123", "qwerty123456", "qwertyqwerty", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u8i", "1qaz2wsx3edc",
        "1qaz2wsx3edc4rfv", "zaq12wsxcde3", "zaq1xsw2cde3", "passwordpassword", "password1234", "password12345",
        "password123456", "password123!", "password1234!", "passw0rd1234", "p@ssw0rd1234", "p@ssword1234",
        "iloveyou1234", "iloveyouiloveyou", "letmein12345", "letmeinletmein", "welcome12345", "welcome123456",
        "administrator", "administrator1", "changeme1234", "changemechangeme", "trustno1trustno1", "monkey123456",
        "football1234", "baseball1234", "superman1234", "sunshine1234", "princess1234", "dragon123456",
        "master123456", "abc123456789", "abcd12345678", "asdfghjkl123", "asdfasdfasdf", "qweasdzxc123",
        "qweqweqweqwe", "aaaaaaaaaaaa", "111111111111", "000000000000", "123123123123", "121212121212",
        "987654321098", "147258369147", "q1w2e3r4t5y6", "a1b2c3d4e5f6", "correcthorsebatterystaple",
        "thequickbrownfox", "hellohellohello", "starwars1234", "whatever1234", "freedom12345", "secret123456",
        "computer1234", "internet1234", "summer2024!!", "winter2024!!", "spring2025!!", "autumn2025!!",
    ]

    /// Whether `folded` (lower-cased) is common: in the list, or a common short password
    /// repeated or followed by digits and punctuation only.
    public static func contains(_ folded: String) -> Bool {
        if long.contains(folded) { return true }
        for word in base where folded.hasPrefix(word) {
            let rest = folded.dropFirst(word.count)
            if rest.allSatisfy({ $0.isNumber || $0.isPunctuation || $0.isSymbol }) { return true }
            if String(repeating: word, count: folded.count / word.count + 1).hasPrefix(folded) { return true }
        }
        return false
    }
}
