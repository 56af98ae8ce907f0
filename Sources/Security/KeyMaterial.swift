public import Crypto
public import Foundation

/// The secrets that protect personal data: the AES-256 data keys (by id, one active) and the
/// separate HMAC key of the blind index, as base64 text.
///
/// They come from configuration in production (`security.dataKeys`, `security.indexKey`); the
/// embedded mode keeps them in a file of the data directory that only its owner can read (see
/// ``loadOrCreate(at:)``). The values are never logged: ``description`` names only the key ids.
public struct KeyMaterial: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Data keys by id, base64 of 32 bytes.
    public var dataKeys: [String: String]
    /// The id of the data key that encrypts new values.
    public var activeDataKey: String
    /// The blind-index key, base64 of 32 bytes.
    public var indexKey: String

    public init(dataKeys: [String: String], activeDataKey: String, indexKey: String) {
        self.dataKeys = dataKeys
        self.activeDataKey = activeDataKey
        self.indexKey = indexKey
    }

    /// New random keys: one data key and an index key.
    public static func generate(now: Date = .now) -> KeyMaterial {
        let id = newKeyID(now: now)
        return KeyMaterial(dataKeys: [id: encode(DataKeyRing.generateKey())], activeDataKey: id, indexKey: encode(DataKeyRing.generateKey()))
    }

    /// Adds a new random data key and makes it the active one; the old keys stay so that values
    /// sealed under them still open until they are re-encrypted.
    /// - Returns: the new key's id.
    @discardableResult
    public mutating func addActiveDataKey(now: Date = .now) -> String {
        var id = Self.newKeyID(now: now)
        while dataKeys[id] != nil { id = Self.newKeyID(now: now) }
        dataKeys[id] = Self.encode(DataKeyRing.generateKey())
        activeDataKey = id
        return id
    }

    /// The data key ring these keys make.
    /// - Throws: ``FieldCipherError/invalidKeyRing(_:)`` naming what is wrong (never a key's value).
    public func dataKeyRing() throws(FieldCipherError) -> DataKeyRing {
        var keys: [String: SymmetricKey] = [:]
        for (id, text) in dataKeys {
            guard let data = Data(base64Encoded: text), data.count == 32 else {
                throw .invalidKeyRing("data key \(id) is not base64 of 32 bytes")
            }
            keys[id] = SymmetricKey(data: data)
        }
        return try DataKeyRing(keys: keys, activeKeyID: activeDataKey)
    }

    /// The blind index of these keys.
    /// - Throws: ``FieldCipherError/invalidKeyRing(_:)`` when the index key is not base64 of 32 bytes.
    public func blindIndex() throws(FieldCipherError) -> BlindIndex {
        guard let data = Data(base64Encoded: indexKey), data.count == 32 else {
            throw .invalidKeyRing("the index key is not base64 of 32 bytes")
        }
        return BlindIndex(key: SymmetricKey(data: data))
    }

    public var description: String {
        "KeyMaterial(dataKeys: \(dataKeys.keys.sorted()), active: \(activeDataKey), indexKey: ***)"
    }

    // MARK: The embedded key file

    /// Reads the key file at `path`, or creates it with new keys (permissions 0600, created
    /// atomically so a concurrent starter never reads half a file).
    /// - Throws: when the file exists but cannot be read or parsed, or cannot be written.
    public static func loadOrCreate(at path: String) throws -> KeyMaterial {
        if let existing = try load(at: path) { return existing }
        let material = generate()
        try material.write(to: path, replacing: false)
        // Another process may have created it first: whatever is on disk wins.
        return try load(at: path) ?? material
    }

    /// Reads the key file at `path`; nil when there is none.
    public static func load(at path: String) throws -> KeyMaterial? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(KeyMaterial.self, from: data)
        } catch {
            throw KeyFileError(path: path, reason: "it is not an Emporium key file (\(error))")
        }
    }

    /// Writes the keys to `path` with permissions 0600: to a temporary file first, then renamed
    /// over `path` (or, with `replacing` false, linked only if `path` does not exist yet).
    public func write(to path: String, replacing: Bool) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try SecretFile.write(data, to: path, replacing: replacing)
    }

    private static func newKeyID(now: Date) -> String {
        let day = Date.ISO8601FormatStyle().year().month().day().format(now).replacingOccurrences(of: "-", with: "")
        return "k\(day)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    private static func encode(_ key: SymmetricKey) -> String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

/// The key file cannot be used.
public struct KeyFileError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "key file \(path): \(reason)" }
}
