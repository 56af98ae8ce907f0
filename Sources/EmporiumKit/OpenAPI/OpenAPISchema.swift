public import EmporiumCore

/// JSON Schema fragments (as JSON text, to interpolate into a service's ``OpenAPIFragment``)
/// built from the rules the server checks, so that the document and the checks cannot drift:
/// every rule a request is checked against is written here once, from the same constants.
///
/// Lengths in JSON Schema count Unicode code points; the server's checks count characters
/// (grapheme clusters, never more than code points) after trimming, so a string the schema
/// allows is always accepted.
public enum OpenAPISchema {
    // MARK: Text

    /// The code points ``InputText`` refuses in every text: Unicode general category Cc, which
    /// the Unicode stability policy fixes as U+0000–U+001F and U+007F–U+009F.
    static let controlClass = #"\u0000-\u001F\u007F-\u009F"#
    /// The control characters multi-line text refuses: Cc less tab, line feed and carriage return.
    static let multiLineControlClass = #"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F"#
    /// The code points that are not control characters and that `trimmingCharacters(in:
    /// .whitespacesAndNewlines)` removes (general category Z*): what a "blank" text is made of.
    static let blankClass = #" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"#

    /// An ECMA-262 pattern of the text ``InputText`` accepts (no control characters; tab and line
    /// breaks only when `multiLine`), with a character that is not whitespace when `nonBlank`
    /// (the server trims text and refuses what is left empty).
    public static func textPattern(multiLine: Bool = false, nonBlank: Bool = false) -> String {
        let allowed = "[^\(multiLine ? multiLineControlClass : controlClass)]"
        guard nonBlank else { return "^\(allowed)*$" }
        let visible = "[^\(multiLine ? multiLineControlClass : controlClass)\(multiLine ? #"\t\n\r"# : "")\(blankClass)]"
        return "^\(allowed)*\(visible)\(allowed)*$"
    }

    /// A string of text as the server accepts it (see ``textPattern(multiLine:nonBlank:)``), at
    /// most `maxLength` characters.
    public static func text(
        minLength: Int? = nil, maxLength: Int? = nil, multiLine: Bool = false, nonBlank: Bool = false, description: String? = nil
    ) -> String {
        var schema: [String: JSONValue] = ["type": .string("string"), "pattern": .string(textPattern(multiLine: multiLine, nonBlank: nonBlank))]
        if let maxLength { schema["maxLength"] = .number(Double(maxLength)) }
        if let minLength = minLength ?? (nonBlank ? 1 : nil) { schema["minLength"] = .number(Double(minLength)) }
        if let description { schema["description"] = .string(description) }
        return json(.object(schema))
    }

    /// Text (as ``text(minLength:maxLength:multiLine:nonBlank:description:)``, single-line) of
    /// at most `maxUTF8Bytes` bytes in UTF-8. JSON Schema counts code points, so the byte limit
    /// is stated as a choice by the widest UTF-8 form used: ASCII only (1 byte each), up to
    /// U+07FF (2), up to U+FFFF (3) or any (4), each with the length that fits.
    public static func text(minLength: Int, maxLength: Int, maxUTF8Bytes: Int, description: String? = nil) -> String {
        let ranges = [#" -~"#, #" -~ -߿"#, #" -~ -￿"#]
        var choices: [JSONValue] = []
        for width in 1...4 where min(maxLength, maxUTF8Bytes / width) >= minLength {
            let pattern = width <= ranges.count ? "^[\(ranges[width - 1])]*$" : textPattern()
            choices.append(.object([
                "type": .string("string"), "pattern": .string(pattern),
                "minLength": .number(Double(minLength)), "maxLength": .number(Double(min(maxLength, maxUTF8Bytes / width))),
            ]))
        }
        var schema: [String: JSONValue] = ["anyOf": .array(choices)]
        if let description { schema["description"] = .string(description) }
        return json(.object(schema))
    }

    /// A string matching `pattern` (ECMA-262, anchored by the caller), at most `maxLength` long.
    public static func string(pattern: String, minLength: Int? = nil, maxLength: Int? = nil, description: String? = nil) -> String {
        var schema: [String: JSONValue] = ["type": .string("string"), "pattern": .string(pattern)]
        if let minLength { schema["minLength"] = .number(Double(minLength)) }
        if let maxLength { schema["maxLength"] = .number(Double(maxLength)) }
        if let description { schema["description"] = .string(description) }
        return json(.object(schema))
    }

    /// One of `values`.
    public static func enumeration(_ values: some Sequence<String>, description: String? = nil) -> String {
        var schema: [String: JSONValue] = ["type": .string("string"), "enum": .array(values.sorted().map { .string($0) })]
        if let description { schema["description"] = .string(description) }
        return json(.object(schema))
    }

    /// An integer from `minimum` to `maximum` (at most ``largestExactInteger``).
    public static func integer(minimum: Int64? = nil, maximum: Int64? = nil, default value: Int64? = nil, description: String? = nil) -> String {
        var schema: [String: JSONValue] = ["type": .string("integer")]
        if let minimum { schema["minimum"] = .number(Double(minimum)) }
        if let maximum { schema["maximum"] = .number(Double(min(maximum, largestExactInteger))) }
        if let value { schema["default"] = .number(Double(value)) }
        if let description { schema["description"] = .string(description) }
        return json(.object(schema))
    }

    /// The largest integer a JSON number carries exactly (2^53 − 1): the bound the document gives
    /// where the server reads an `Int64` (the document's numbers are doubles).
    public static let largestExactInteger: Int64 = (1 << 53) - 1

    /// A UUID string (any case; the server answers in lower case).
    public static let uuid = #"{"type": "string", "format": "uuid"}"#

    /// The path parameter `{name}` as a UUID (``EmporiumRequestContext/uuidParameter(_:)``).
    public static func uuidPathParameter(_ name: String = "id") -> String {
        #"{"name": "\#(name)", "in": "path", "required": true, "schema": \#(uuid)}"#
    }

    /// The `cursor` query parameter: a `nextCursor` this server returned (base64url, at most
    /// ``Cursor/maximumLength`` characters). One it did not issue, or issued for another sort,
    /// is a 422.
    public static let cursorParameter = #"{"name": "cursor", "in": "query", "description": "The nextCursor of the previous page; one this server did not issue (or issued for another sort) is a 422.", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "minLength": 1, "maxLength": \#(Cursor.maximumLength)}}"#

    /// The `limit` query parameter of paged lists.
    public static let limitParameter = #"{"name": "limit", "in": "query", "schema": \#(integer(minimum: 1, maximum: Int64(PageRequest.maximumLimit), default: Int64(PageRequest.defaultLimit)))}"#

    // MARK: Responses

    /// The shared problem response (in `components.responses`, declared by the platform fragment)
    /// of each status a route can answer with, as `"400": {"$ref": …}, …` members.
    public static func problemResponses(_ statuses: [Int]) -> String {
        statuses.map { status in
            guard let name = problemResponseNames[status] else { preconditionFailure("no shared problem response for \(status)") }
            return ##""\##(status)": {"$ref": "#/components/responses/\##(name)"}"##
        }.joined(separator: ", ")
    }

    /// The problem statuses of a route with a JSON body: 400, 413 and 415.
    public static let bodyProblems = [400, 413, 415]

    /// Names of the shared problem responses by status.
    static let problemResponseNames: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
        412: "PreconditionFailed", 413: "ContentTooLarge", 415: "UnsupportedMediaType", 422: "Unprocessable",
        429: "TooManyRequests", 503: "ServiceUnavailable",
    ]

    /// `value` as compact JSON text.
    public static func json(_ value: JSONValue) -> String {
        (try? value.serialized()) ?? "null"
    }
}
