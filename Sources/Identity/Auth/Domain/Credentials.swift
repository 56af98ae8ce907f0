import EmporiumKit
import Foundation
import Security

/// Registration input: `{"email", "password"}`.
struct RegistrationRequest: StrictJSONBody {
    static let knownFields: Set<String> = ["email", "password"]
    var email: String
    var password: String
}

/// Login input: `{"email", "password"}`.
struct LoginRequest: StrictJSONBody {
    static let knownFields: Set<String> = ["email", "password"]
    var email: String
    var password: String
}

/// Refresh and logout input: `{"refreshToken"}`.
struct RefreshTokenRequest: StrictJSONBody {
    static let knownFields: Set<String> = ["refreshToken"]
    var refreshToken: String
}

/// The rules of the identity services' inputs, without I/O.
enum IdentityRules {
    /// A normalised email address (``BlindIndex/canonicalEmail(_:)``: trimmed, NFC, lower-cased),
    /// or the reason it is refused.
    ///
    /// Deliberately plain: one `@`, a local part of 1–64 characters without spaces or control
    /// characters, a domain of dot-separated labels (letters, digits, hyphens) with at least one dot.
    static func normalizedEmail(_ raw: String) -> Result<String, ProblemDetails> {
        let email = BlindIndex.canonicalEmail(raw)
        let invalid = Result<String, ProblemDetails>.failure(.invalidField("email", "must be an email address such as ada@example.com"))
        guard email.count <= 254 else { return .failure(.invalidField("email", "must have at most 254 characters")) }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return invalid }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.count),
            local.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && !"()<>[]\\,;:\"".unicodeScalars.contains($0) })
        else { return invalid }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2,
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-") && label.unicodeScalars.allSatisfy(\.isASCII)
                    && label.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" }
            })
        else { return invalid }
        return .success(email)
    }

    /// Validates a registration: the email's form and the password's length (a 400, as the
    /// OpenAPI document states them), then the rest of the password policy (a 422).
    static func validate(_ request: RegistrationRequest) throws(ProblemDetails) -> (email: String, password: String) {
        var errors: [ProblemDetails.FieldError] = [], unprocessable: [ProblemDetails.FieldError] = []
        var email = ""
        switch normalizedEmail(request.email) {
        case .success(let normalized): email = normalized
        case .failure(let problem): errors += problem.errors ?? []
        }
        if let refusal = PasswordPolicy.lengthRefusal(of: request.password) {
            errors.append(.init(field: "password", detail: refusal))
        } else if let refusal = PasswordPolicy.ruleRefusal(of: request.password, email: email) {
            unprocessable.append(.init(field: "password", detail: refusal))
        }
        try ProblemDetails.throwIfAny(invalid: errors, unprocessable: unprocessable)
        return (email, request.password)
    }
}

/// When repeated failed logins lock further attempts.
///
/// For one account from one client address: the fifth failure in a row locks the pair for 30
/// seconds; each further failure doubles the lock, up to 15 minutes. A successful login clears
/// the count. For one client address across accounts (``address``): the twentieth attempt that
/// has not succeeded locks the address the same way; a count with no attempt for
/// ``forgetAfter`` starts over.
///
/// Attempts are counted *before* the password is checked, and the lock a failure would cause is
/// taken at once (a success lifts it), so a burst of concurrent attempts checks at most
/// ``allowedFailures`` passwords.
struct LoginThrottle: Sendable, Equatable {
    var allowedFailures = 5
    var firstLock: Duration = .seconds(30)
    var longestLock: Duration = .seconds(15 * 60)
    /// After how long without an attempt (and no lock) the count starts over; nil: never (until
    /// a success, or the daily prune).
    var forgetAfter: Duration? = nil

    /// The limit per account and client address.
    static let account = LoginThrottle()
    /// The limit per client address, whatever the accounts tried.
    static let address = LoginThrottle(allowedFailures: 20, forgetAfter: .seconds(15 * 60))

    /// How long to lock after `failures` consecutive failures; nil while under the limit.
    func lock(afterFailures failures: Int) -> Duration? {
        guard failures >= allowedFailures else { return nil }
        let doublings = min(failures - allowedFailures, 10)
        return min(firstLock * (1 << doublings), longestLock)
    }
}

/// Whether a login attempt may check its password.
enum LoginAdmission: Sendable, Equatable {
    /// Counted; check the password.
    case admitted
    /// Refused without checking: too many failures for this account from this address, or from
    /// this address altogether, until the date.
    case locked(until: Date, scope: Scope)

    enum Scope: Sendable, Equatable {
        case account
        case address
    }
}

/// Why the auth store refused a change; nothing was written (`Routes/AuthProblems.swift` says how
/// each is answered).
enum AuthStoreError: Error, Equatable {
    /// Another account has this email (after normalisation).
    case emailTaken
}
