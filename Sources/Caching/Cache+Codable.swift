public import Foundation
import NIOCore
import NIOFoundationCompat

extension Cache {
    /// The value at `key` decoded from JSON, or `nil` when there is none.
    ///
    /// - Throws: the decoder's error when the stored bytes are not a `Value`.
    public func value<Value: Decodable>(
        forKey key: String,
        as type: Value.Type,
        decoder: JSONDecoder = JSONDecoder()
    ) async throws -> Value? {
        guard let bytes = try await self.value(forKey: key) else { return nil }
        return try decoder.decode(type, from: bytes)
    }

    /// Stores `value` encoded as JSON at `key` for `ttl`.
    public func setValue(
        _ value: some Encodable,
        forKey key: String,
        ttl: Duration,
        encoder: JSONEncoder = JSONEncoder()
    ) async throws {
        try await self.setValue(ByteBuffer(data: try encoder.encode(value)), forKey: key, ttl: ttl)
    }
}
