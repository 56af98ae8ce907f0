import EmporiumKit

extension AuthStoreError: ProblemConvertible {
    var problem: ProblemDetails {
        switch self {
        case .emailTaken: .conflict("An account with this email exists already.")
        }
    }
}
