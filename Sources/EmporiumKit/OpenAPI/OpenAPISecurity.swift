public import Security

/// The `security` of an OpenAPI operation, as JSON text for a fragment: whether it needs an
/// access token and which permissions.
///
/// The permissions are the bearer requirement's role list (OpenAPI 3.1 §4.8.30: for schemes other
/// than OAuth2 the array "MAY contain a list of role names which are required for the
/// execution"). Several requirement objects are alternatives. This document is the one table the
/// services' handlers and the gateway follow: the gateway answers 401 and 403 from it before any
/// upstream sees the request, and a test checks that each service's handler answers the same.
public enum OpenAPISecurity {
    /// Needs a valid access token; what its holder may do is the handler's to decide.
    public static let bearer = #"[{"bearer": []}]"#
    /// Works with a token or without (a guest's cart).
    public static let optionalBearer = #"[{}, {"bearer": []}]"#

    /// Needs a token whose roles grant every one of `permissions`.
    public static func bearer(_ permissions: Permission...) -> String {
        "[\(requirement(permissions))]"
    }

    /// Needs a token whose roles grant at least one of `permissions` (a customer's own orders, or
    /// any order for support).
    public static func bearer(anyOf permissions: Permission...) -> String {
        "[\(permissions.map { requirement([$0]) }.joined(separator: ", "))]"
    }

    private static func requirement(_ permissions: [Permission]) -> String {
        #"{"bearer": [\#(permissions.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))]}"#
    }
}
