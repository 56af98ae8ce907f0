public import EmporiumCore
import Foundation

/// A service's part of the process's OpenAPI 3.1 document: its `paths`, `components` and `tags`.
///
/// Each service writes its fragment as JSON next to its routes; ``OpenAPIDocument`` merges the
/// fragments of the services running in a process. A test checks that every registered route is
/// described.
public struct OpenAPIFragment: Sendable {
    /// `paths`: path template → method → operation.
    public var paths: [String: JSONValue]
    /// `components`: kind (`schemas`, `responses`, …) → name → definition.
    public var components: [String: [String: JSONValue]]
    /// `tags`: one per service, with a description.
    public var tags: [JSONValue]

    public init(paths: [String: JSONValue] = [:], components: [String: [String: JSONValue]] = [:], tags: [JSONValue] = []) {
        self.paths = paths
        self.components = components
        self.tags = tags
    }

    /// Parses a fragment written as JSON with top-level `paths`, `components` and `tags`.
    /// A malformed fragment is a programming error caught by the first test that builds the document.
    public init(json: String) {
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
            self.init(
                paths: value["paths"]?.objectValue ?? [:],
                components: (value["components"]?.objectValue ?? [:]).mapValues { $0.objectValue ?? [:] },
                tags: { if case .array(let tags)? = value["tags"] { return tags } else { return [] } }()
            )
        } catch {
            preconditionFailure("invalid OpenAPI fragment JSON: \(error)")
        }
    }
}

/// The OpenAPI 3.1 document of the routes served by this process.
public struct OpenAPIDocument: Sendable {
    /// The merged document.
    public let document: JSONValue

    /// Merges `fragments`; where two define the same path, method or component, the first wins.
    public init(title: String, version: String, fragments: [OpenAPIFragment]) {
        var paths: [String: JSONValue] = [:]
        var components: [String: [String: JSONValue]] = [:]
        var tags: [JSONValue] = []
        for fragment in fragments {
            for (path, operations) in fragment.paths {
                if case .object(let existing)? = paths[path], case .object(let added) = operations {
                    paths[path] = .object(existing.merging(added) { first, _ in first })
                } else {
                    paths[path] = operations
                }
            }
            for (kind, definitions) in fragment.components {
                components[kind, default: [:]].merge(definitions) { first, _ in first }
            }
            tags += fragment.tags
        }
        document = .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string(title), "version": .string(version)]),
            "tags": .array(tags),
            "paths": .object(paths),
            "components": .object(components.mapValues { .object($0) }),
        ])
    }

    /// Every operation as `METHOD /path`, sorted.
    public var operations: [String] {
        guard let paths = document["paths"]?.objectValue else { return [] }
        return paths.flatMap { path, operations in
            (operations.objectValue ?? [:]).keys
                .filter { ["get", "put", "post", "delete", "patch", "head", "options"].contains($0) }
                .map { "\($0.uppercased()) \(path)" }
        }.sorted()
    }

    /// The document as JSON bytes.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(document)) ?? Data()
    }
}
