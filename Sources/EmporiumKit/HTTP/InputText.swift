import EmporiumCore

/// Which control characters text input may contain, checked once for every request by
/// ``Request/decodeJSON(as:context:)`` (every string and member name of a body) and
/// ``InputTextMiddleware`` (every query parameter name and value).
///
/// U+0000 is refused everywhere: PostgreSQL cannot store it in text, so both engines must refuse it
/// alike. Other control characters (Unicode general category Cc: C0, DEL and C1) are refused too,
/// except tab, line feed and carriage return in multi-line fields (a product's description).
public enum InputText {
    /// Why `text` is refused, or nil when it is acceptable.
    /// - Parameter multiLine: whether tab, line feed and carriage return are allowed.
    public static func problem(in text: String, multiLine: Bool) -> String? {
        for scalar in text.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiLine, scalar == "\t" || scalar == "\n" || scalar == "\r" { continue }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            if scalar.value == 0 { return "must not contain U+0000 (NUL)" }
            return multiLine
                ? "must not contain control characters other than tab and line breaks (\(code) found)"
                : "must not contain control characters (\(code) found)"
        }
        return nil
    }

    /// The first problem of a JSON body: a member name or string with a refused character.
    /// - Parameter multiLine: paths of the string fields that may hold several lines, with array
    ///   indices left out (`description`, `variants.note`).
    /// - Returns: the JSON path of the field (`variants[0].sku`) and why it is refused.
    static func problem(in value: JSONValue, multiLine: Set<String>) -> (field: String, detail: String)? {
        var pending: [(value: JSONValue, path: String, pattern: String)] = [(value, "", "")]
        while let next = pending.popLast() {
            let (value, path, pattern) = next
            switch value {
            case .string(let string):
                if let detail = problem(in: string, multiLine: multiLine.contains(pattern)) {
                    return (path.isEmpty ? "body" : path, detail)
                }
            case .array(let elements):
                for (index, element) in elements.enumerated().reversed() {
                    pending.append((element, "\(path)[\(index)]", pattern))
                }
            case .object(let members):
                for (key, member) in members.sorted(by: { $0.key > $1.key }) {
                    let memberPath = path.isEmpty ? key : "\(path).\(key)"
                    if let detail = problem(in: key, multiLine: false) {
                        return (memberPath, "has a name that " + detail)
                    }
                    pending.append((member, memberPath, pattern.isEmpty ? key : "\(pattern).\(key)"))
                }
            case .number, .bool, .null:
                break
            }
        }
        return nil
    }
}
