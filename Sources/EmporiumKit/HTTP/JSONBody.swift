public import EmporiumCore
import Foundation
import NIOFoundationCompat
public import Hummingbird

extension Request {
    /// Decodes the JSON body as `type`, turning every failure into the right problem: 413 over the
    /// size limit, 415 when the content type is not JSON, 400 for malformed JSON, and 400 naming the
    /// field for a missing field or a value of the wrong type.
    public func decodeJSON<Value: Decodable>(as type: Value.Type, context: EmporiumRequestContext) async throws -> Value {
        if let contentType = headers[.contentType],
            !contentType.lowercased().hasPrefix("application/json"),
            !contentType.lowercased().hasPrefix("application/merge-patch+json")
        {
            throw ProblemDetails.unsupportedMediaType(contentType)
        }
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        return try ProblemDetails.decodeBody(type, from: buffer)
    }
}

/// A request body whose top-level members are all known: a member the type does not know is a
/// 400 naming it (a misspelt `passwrod` must not be silently ignored), checked by
/// ``Request/decodeJSON(as:context:)``. No member of such a body may be `null`, at any depth.
public protocol StrictJSONBody: Decodable {
    /// The member names the body may have.
    static var knownFields: Set<String> { get }
    /// The member names of nested objects, by path without array indices (`variants`,
    /// `variants.price`): a member not listed is a 400 naming it, as at the top level. Objects
    /// at paths not listed (free-form maps such as `attributes`) are not checked. Default: none.
    static var knownNestedFields: [String: Set<String>] { get }
    /// The string fields that may hold several lines (tab, line feed and carriage return), as
    /// paths without array indices (`description`); every other string is one line. Default: none.
    static var multiLineFields: Set<String> { get }
}

extension StrictJSONBody {
    public static var multiLineFields: Set<String> { [] }
    public static var knownNestedFields: [String: Set<String>] { [:] }
}

extension ProblemDetails {
    /// Decodes a request body with one parse: the strict RFC 8259 reader (``JSONValue``) refuses
    /// malformed JSON, numbers out of range, lone surrogates and raw control characters (400
    /// naming the problem and its byte); then, on that one value, an unknown member of a
    /// ``StrictJSONBody`` and a control character in a string (``InputText``) are 400s naming the
    /// field; then `type` is decoded from the value (400 naming the field).
    static func decodeBody<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws(ProblemDetails) -> Value {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: buffer)
        } catch {
            throw .malformedBody(error.description)
        }
        let strict = type as? any StrictJSONBody.Type
        if let strict {
            try rejectUnknownFields(in: value, known: strict.knownFields)
            try rejectUnknownNestedFields(in: value, nested: strict.knownNestedFields)
            if let field = firstNull(in: value) {
                throw .invalidField(field, "must not be null (leave an optional member out)")
            }
        }
        if let refused = InputText.problem(in: value, multiLine: strict?.multiLineFields ?? []) {
            throw .invalidField(refused.field, refused.detail)
        }
        do {
            return try JSONValueDecoder().decode(type, from: value)
        } catch let error as DecodingError {
            throw ProblemDetails(decodingError: error)
        } catch let problem as ProblemDetails {
            throw problem
        } catch {
            throw .malformedBody("The body could not be decoded: \(error)")
        }
    }

    /// Throws a 400 naming the first member of a nested object that its path's set in `nested`
    /// does not have (``StrictJSONBody/knownNestedFields``).
    static func rejectUnknownNestedFields(in value: JSONValue, nested: [String: Set<String>]) throws(ProblemDetails) {
        guard !nested.isEmpty else { return }
        var pending: [(value: JSONValue, path: String, pattern: String)] = [(value, "", "")]
        while let (value, path, pattern) = pending.popLast() {
            switch value {
            case .array(let elements):
                for (index, element) in elements.enumerated().reversed() { pending.append((element, "\(path)[\(index)]", pattern)) }
            case .object(let members):
                if let known = nested[pattern], let unknown = members.keys.filter({ !known.contains($0) }).sorted().first {
                    throw ProblemDetails.invalidField("\(path).\(unknown)", "is not a known field (known: \(known.sorted().joined(separator: ", ")))")
                }
                for (key, member) in members.sorted(by: { $0.key > $1.key }) {
                    pending.append((member, path.isEmpty ? key : "\(path).\(key)", pattern.isEmpty ? key : "\(pattern).\(key)"))
                }
            case .string, .number, .bool, .null:
                break
            }
        }
    }

    /// The JSON path of the first `null` in `value` (members in name order), or nil when it has
    /// none. No request body member is nullable: the OpenAPI document declares none, and an
    /// optional member is left out rather than sent as `null` (which would otherwise be read as
    /// "absent" and silently change nothing).
    static func firstNull(in value: JSONValue, path: String = "") -> String? {
        switch value {
        case .null:
            return path.isEmpty ? "body" : path
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = firstNull(in: element, path: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let members):
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let found = firstNull(in: member, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
            return nil
        case .string, .number, .bool:
            return nil
        }
    }

    /// Throws a 400 naming the first (alphabetically) top-level member of the JSON object `value`
    /// that is not in `known`. A body that is not an object is left to the decoder to report.
    static func rejectUnknownFields(in value: JSONValue, known: Set<String>) throws(ProblemDetails) {
        guard let object = value.objectValue else { return }
        if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
            throw ProblemDetails.invalidField(unknown, "is not a known field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// The 400 problem for a JSON decoding failure, naming the field by its JSON path.
    public init(decodingError error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = .invalidField(Self.path(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            self = .invalidField(Self.path(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            self = .invalidField(Self.path(context.codingPath), "must be \(Self.jsonTypeName(type))")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            self = .invalidField(Self.path(context.codingPath), context.debugDescription)
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            self = .malformedBody(underlying ?? context.debugDescription)
        @unknown default:
            self = .malformedBody("The body could not be decoded.")
        }
    }

    /// `variants[0].price.amount` from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "body" : path
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

extension EmporiumRequestContext {
    /// The path parameter `name` (`/v1/products/{id}`) as a UUID, or a 400 naming it.
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let id = UUID(text: parameters.get(name) ?? "") else {
            throw ProblemDetails.invalidParameter(name, "must be a UUID")
        }
        return id
    }
}
