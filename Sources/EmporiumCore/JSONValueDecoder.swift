/// Decodes `Decodable` values from a ``JSONValue`` that was already parsed, so a JSON text is
/// parsed once, by ``JSONValue/init(parsing:)-(Data)``, and decoded from that one result.
///
/// Failures are `DecodingError`s with the coding path of the value, as `JSONDecoder` reports them:
/// `keyNotFound`, `valueNotFound` (a `null` where a value is needed), `typeMismatch` (a string
/// where a number is needed, `1.5` for an integer) and `dataCorrupted` (an integer outside the
/// range of its type, or beyond ±2^53, where a `Double` no longer holds every integer exactly).
public struct JSONValueDecoder: Sendable {
    public init() {}

    /// Decodes `type` from `value`.
    public func decode<Value: Decodable>(_ type: Value.Type, from value: JSONValue) throws -> Value {
        try JSONValueDecoding(value: value, codingPath: []).decodeValue(type)
    }
}

/// The largest magnitude below which every integer is exact in a `Double` (2^53).
private let exactIntegerBound: Double = 9_007_199_254_740_992

/// One value being decoded, at `codingPath`.
private struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: JSONValue].self) }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([JSONValue].self) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueContainer(decoding: self) }

    func mismatch(_ type: Any.Type) -> DecodingError {
        if case .null = value {
            return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Expected \(type) but found null."))
        }
        return .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected \(type) but found \(value.kindName)."))
    }

    /// Decodes `type`: JSON's scalars directly, anything else through its `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type:
            guard case .string(let string) = value else { throw mismatch(type) }
            return string as! T
        case is Bool.Type:
            guard case .bool(let bool) = value else { throw mismatch(type) }
            return bool as! T
        case is Double.Type:
            guard case .number(let number) = value else { throw mismatch(type) }
            return number as! T
        case is Float.Type:
            guard case .number(let number) = value else { throw mismatch(type) }
            return Float(number) as! T
        case let integer as any FixedWidthInteger.Type:
            return try decodeInteger(integer) as! T
        default:
            return try T(from: self)
        }
    }

    private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let number) = value, number.rounded(.towardZero) == number else { throw mismatch(type) }
        guard number.magnitude < exactIntegerBound, let integer = I(exactly: number) else {
            let low = max(Double(I.min), -exactIntegerBound + 1), high = min(Double(I.max), exactIntegerBound - 1)
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath,
                debugDescription: "must be an integer from \(Int64(low)) to \(Int64(high))"
            ))
        }
        return integer
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let decoding: JSONValueDecoding
    var codingPath: [any CodingKey] { decoding.codingPath }

    func decodeNil() -> Bool { decoding.value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try decoding.decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decoding.decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoding.decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoding.decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoding.decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoding.decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoding.decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoding.decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoding.decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoding.decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoding.decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoding.decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoding.decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoding.decodeValue(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoding.decodeValue(type) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.sorted().compactMap(Key.init(stringValue:)) }
    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValueDecoding {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value for key \(key.stringValue)."))
        }
        return JSONValueDecoding(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).value == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try member(key).decodeValue(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try member(key).decodeValue(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try member(key).decodeValue(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try member(key).decodeValue(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try member(key).decodeValue(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try member(key).decodeValue(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try member(key).decodeValue(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try member(key).decodeValue(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try member(key).decodeValue(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try member(key).decodeValue(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try member(key).decodeValue(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try member(key).decodeValue(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try member(key).decodeValue(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try member(key).decodeValue(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try member(key).decodeValue(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try member(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try member(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoding(value: members["super"] ?? .null, codingPath: codingPath + [JSONKey("super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoding(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next(_ type: Any.Type) throws -> JSONValueDecoding {
        let key = JSONKey(index: currentIndex)
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [key], debugDescription: "The array has no more elements."))
        }
        currentIndex += 1
        return JSONValueDecoding(value: elements[key.intValue!], codingPath: codingPath + [key])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type).decodeValue(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type).decodeValue(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type).decodeValue(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type).decodeValue(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type).decodeValue(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type).decodeValue(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type).decodeValue(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type).decodeValue(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type).decodeValue(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type).decodeValue(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type).decodeValue(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type).decodeValue(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type).decodeValue(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type).decodeValue(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type).decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next([String: JSONValue].self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([JSONValue].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(JSONValue.self) }
}

/// A coding key of a member name or an array index.
private struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) {
        stringValue = string
    }

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}

extension JSONValue {
    /// What kind of JSON value this is, for messages (`a string`, `null`).
    var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}
