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
/// ``Request/decodeJSON(as:context:)``.
public protocol StrictJSONBody: Decodable {
    /// The member names the body may have.
    static var knownFields: Set<String> { get }
    /// The string fields that may hold several lines (tab, line feed and carriage return), as
    /// paths without array indices (`description`); every other string is one line. Default: none.
    static var multiLineFields: Set<String> { get }
}

extension StrictJSONBody {
    public static var multiLineFields: Set<String> { [] }
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
        if let strict { try rejectUnknownFields(in: value, known: strict.knownFields) }
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
        guard let id = UUID(uuidString: parameters.get(name) ?? "") else {
            throw ProblemDetails.invalidParameter(name, "must be a UUID")
        }
        return id
    }
}
