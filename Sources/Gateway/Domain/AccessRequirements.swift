import EmporiumCore
import EmporiumKit

/// Which public operations need an access token, read from the services' OpenAPI documents (an
/// operation whose `security` names `bearer` and does not also allow none, `{}`): the one table
/// both the services and the gateway follow.
///
/// The gateway answers 401 itself for such an operation without a valid token, so that no
/// upstream sees an expired or forged one; for an operation that needs none, it passes the
/// request on without the token it refused.
public struct AccessRequirements: Sendable {
    struct Operation: Sendable {
        var method: String
        /// Each segment: a literal, or nil for a `{parameter}`.
        var segments: [String?]
        var requiresToken: Bool
    }

    private let operations: [Operation]

    /// - Parameter fragments: The OpenAPI fragments of the services the gateway fronts.
    public init(_ fragments: [OpenAPIFragment]) {
        var operations: [Operation] = []
        for fragment in fragments {
            for (path, item) in fragment.paths {
                let segments: [String?] = path.split(separator: "/").map { segment in
                    segment.hasPrefix("{") && segment.hasSuffix("}") ? nil : String(segment)
                }
                for (method, operation) in item.objectValue ?? [:] {
                    guard ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) else { continue }
                    operations.append(Operation(method: method.uppercased(), segments: segments, requiresToken: Self.requiresToken(operation)))
                }
            }
        }
        // The most literal segments first: `/v1/users/me` before `/v1/users/{id}`.
        self.operations = operations.sorted { $0.segments.compactMap { $0 }.count > $1.segments.compactMap { $0 }.count }
    }

    /// Whether `method` on `path` (without its query) needs a valid access token; false for an
    /// operation no document describes (the service answers it as it sees fit).
    public func requiresToken(method: String, path: String) -> Bool {
        let segments = path.split(separator: "/").map(String.init)
        for operation in operations where operation.method == method && operation.segments.count == segments.count {
            if zip(operation.segments, segments).allSatisfy({ $0 == nil ? !$1.isEmpty : $0 == $1 }) {
                return operation.requiresToken
            }
        }
        return false
    }

    /// `security` names `bearer` and has no empty requirement (which would make it optional).
    static func requiresToken(_ operation: JSONValue) -> Bool {
        guard case .array(let requirements)? = operation["security"], !requirements.isEmpty else { return false }
        let names = requirements.map { ($0.objectValue ?? [:]).keys }
        return !names.contains { $0.isEmpty } && names.contains { $0.contains("bearer") }
    }
}
