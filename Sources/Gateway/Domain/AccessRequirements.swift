import EmporiumCore
import EmporiumKit
public import Security

/// What each public operation asks of its caller, read from the services' OpenAPI documents
/// (``OpenAPISecurity``): the one table both the services' handlers and the gateway follow.
///
/// An operation needs an access token when its `security` names `bearer` and does not also allow
/// none (`{}`); the bearer requirement's list names the permissions it needs, and several
/// requirements are alternatives. The gateway answers 401 for such an operation without a valid
/// token and 403 for a token whose roles grant none of the alternatives, so that no upstream sees
/// the request; on an operation that needs none, it passes the request on without the token it
/// refused.
public struct AccessRequirements: Sendable {
    /// What one operation asks.
    public struct Requirement: Sendable, Equatable {
        /// Whether a valid access token is needed.
        public var needsToken: Bool
        /// Alternatives, each the permissions that together suffice (an empty one: any valid
        /// token); none at all: no token suffices.
        public var permissions: [Set<Permission>]
        /// Permission names the table does not know: an alternative naming one is never met.
        public var unknownPermissions: [String]

        public static let none = Requirement(needsToken: false, permissions: [], unknownPermissions: [])

        /// Whether `principal`'s roles meet one of the alternatives.
        public func allows(_ principal: Principal) -> Bool {
            permissions.contains { $0.allSatisfy(principal.may) }
        }
    }

    struct Operation: Sendable {
        var method: String
        /// The path template as the document writes it (`/v1/products/{id}`).
        var route: String
        /// Each segment: a literal, or nil for a `{parameter}`.
        var segments: [String?]
        var requirement: Requirement

        /// Whether the path's `segments` fit this operation's (a parameter takes any non-empty one).
        func matches(_ path: [Substring.UTF8View]) -> Bool {
            segments.count == path.count
                && zip(segments, path).allSatisfy { literal, segment in
                    literal.map { $0.utf8.elementsEqual(segment) } ?? !segment.isEmpty
                }
        }
    }

    private let operations: [Operation]
    /// The operations by method and number of segments, each list most literal first.
    private let index: [IndexKey: [Operation]]

    /// A method and a number of path segments.
    private struct IndexKey: Hashable {
        var method: String
        var segments: Int
    }

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
                    operations.append(
                        Operation(method: method.uppercased(), route: path, segments: segments, requirement: Self.requirement(operation)))
                }
            }
        }
        // The most literal segments first: `/v1/users/me` before `/v1/users/{id}`.
        let ordered = operations.sorted { $0.segments.compactMap { $0 }.count > $1.segments.compactMap { $0 }.count }
        self.operations = ordered
        self.index = Dictionary(grouping: ordered) { IndexKey(method: $0.method, segments: $0.segments.count) }
    }

    /// What `method` on `path` (without its query) asks; ``Requirement/none`` for an operation no
    /// document describes (the service answers it as it sees fit).
    public func requirement(method: String, path: String) -> Requirement {
        operation(method: method, path: path).requirement
    }

    /// What `method` on `path` (without its query) asks, with the path template of the operation
    /// a document describes for it (`/v1/products/{id}`): the route its metrics and log lines
    /// name. ``Requirement/none`` and no route for an operation no document describes.
    public func operation(method: String, path: String) -> (requirement: Requirement, route: String?) {
        let segments = Self.segments(path)
        guard let operation = index[IndexKey(method: method, segments: segments.count)]?.first(where: { $0.matches(segments) }) else { return (.none, nil) }
        return (operation.requirement, operation.route)
    }

    /// The non-empty segments of a path, as bytes (split by characters, it costs a grapheme
    /// walk on every request).
    private static func segments(_ path: String) -> [Substring.UTF8View] {
        path.utf8.split(separator: UInt8(ascii: "/"))
    }

    /// The methods the documents describe for `path` (sorted), as a 405's `Allow` lists them;
    /// empty for a path no document describes.
    public func documentedMethods(path: String) -> [String] {
        let segments = Self.segments(path)
        return Set(operations.filter { $0.matches(segments) }.map(\.method)).sorted()
    }

    /// Whether `method` on `path` needs a valid access token.
    public func requiresToken(method: String, path: String) -> Bool {
        requirement(method: method, path: path).needsToken
    }

    /// Every permission name the documents use that ``Permission`` does not know (a typo there
    /// would lock everyone out of an operation).
    public var unknownPermissions: Set<String> {
        Set(operations.flatMap(\.requirement.unknownPermissions))
    }

    /// `security` names `bearer` and has no empty requirement (which would make it optional).
    static func requirement(_ operation: JSONValue) -> Requirement {
        guard case .array(let requirements)? = operation["security"], !requirements.isEmpty else { return .none }
        let objects = requirements.map { $0.objectValue ?? [:] }
        guard !objects.contains(where: \.isEmpty) else { return .none }
        var alternatives: [Set<Permission>] = []
        var unknown: [String] = []
        for object in objects {
            guard case .array(let names)? = object["bearer"] else { continue }
            let strings = names.compactMap { name -> String? in
                if case .string(let string) = name { return string }
                return nil
            }
            let permissions = strings.compactMap(Permission.init(rawValue:))
            if permissions.count < strings.count {
                unknown += strings.filter { Permission(rawValue: $0) == nil }
                continue
            }
            alternatives.append(Set(permissions))
        }
        guard !alternatives.isEmpty || !unknown.isEmpty else { return .none }
        return Requirement(needsToken: true, permissions: alternatives, unknownPermissions: unknown)
    }
}
