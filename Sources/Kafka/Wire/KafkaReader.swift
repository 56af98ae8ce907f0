import NIOCore

/// Reads the primitive types of the Kafka protocol from a response, in the encoding of one API
/// version (see ``KafkaWriter`` for what `flexible` changes). Every failure is a
/// ``KafkaError/malformedResponse(api:reason:)`` naming the API and the field.
struct KafkaReader {
    var buffer: ByteBuffer
    /// Whether this is a flexible version of the API.
    let flexible: Bool
    /// The API's name, for errors.
    let api: String

    init(buffer: ByteBuffer, flexible: Bool, api: String) {
        self.buffer = buffer
        self.flexible = flexible
        self.api = api
    }

    func malformed(_ reason: String) -> KafkaError {
        .malformedResponse(api: self.api, reason: reason)
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws(KafkaError) -> T {
        guard let value = self.buffer.readInteger(as: T.self) else {
            throw self.malformed("the response ends inside \(field)")
        }
        return value
    }

    mutating func int8(_ field: String = "an INT8") throws(KafkaError) -> Int8 { try self.integer(field) }
    mutating func int16(_ field: String = "an INT16") throws(KafkaError) -> Int16 { try self.integer(field) }
    mutating func int32(_ field: String = "an INT32") throws(KafkaError) -> Int32 { try self.integer(field) }
    mutating func int64(_ field: String = "an INT64") throws(KafkaError) -> Int64 { try self.integer(field) }
    mutating func uint32(_ field: String = "a UINT32") throws(KafkaError) -> UInt32 { try self.integer(field) }
    mutating func bool(_ field: String = "a BOOLEAN") throws(KafkaError) -> Bool {
        let byte: UInt8 = try self.integer(field)
        return byte != 0
    }

    mutating func uuid(_ field: String = "a UUID") throws(KafkaError) -> KafkaUUID {
        let high: UInt64 = try self.integer(field)
        let low: UInt64 = try self.integer(field)
        return KafkaUUID(high: high, low: low)
    }

    mutating func unsignedVarint(_ field: String) throws(KafkaError) -> UInt64 {
        guard let value = self.buffer.readUnsignedVarint() else {
            throw self.malformed("bad or truncated varint in \(field)")
        }
        return value
    }

    /// A length; nil for null. Compact lengths are stored plus one.
    private mutating func length(_ field: String, wide: Bool) throws(KafkaError) -> Int? {
        let count: Int
        if self.flexible {
            let raw = try self.unsignedVarint(field)
            guard raw <= UInt64(Int32.max) else { throw self.malformed("length \(raw) of \(field) is too large") }
            count = Int(raw) - 1
        } else if wide {
            count = Int(try self.int32(field))
        } else {
            count = Int(try self.int16(field))
        }
        if count < 0 {
            guard count == -1 else { throw self.malformed("negative length \(count) of \(field)") }
            return nil
        }
        return count
    }

    mutating func nullableString(_ field: String = "a STRING") throws(KafkaError) -> String? {
        guard let count = try self.length(field, wide: false) else { return nil }
        guard let text = self.buffer.readString(length: count) else {
            throw self.malformed("the response ends inside \(field) (\(count) bytes)")
        }
        return text
    }

    /// A string that must not be null.
    mutating func string(_ field: String = "a STRING") throws(KafkaError) -> String {
        guard let text = try self.nullableString(field) else {
            throw self.malformed("\(field) is null")
        }
        return text
    }

    mutating func nullableBytes(_ field: String = "BYTES") throws(KafkaError) -> ByteBuffer? {
        guard let count = try self.length(field, wide: true) else { return nil }
        guard let slice = self.buffer.readSlice(length: count) else {
            throw self.malformed("the response ends inside \(field) (\(count) bytes)")
        }
        return slice
    }

    mutating func bytes(_ field: String = "BYTES") throws(KafkaError) -> ByteBuffer {
        try self.nullableBytes(field) ?? ByteBuffer()
    }

    /// An array whose elements `read` decodes; a null array reads as nil.
    mutating func nullableArray<Element>(
        _ field: String,
        _ read: (inout KafkaReader) throws(KafkaError) -> Element
    ) throws(KafkaError) -> [Element]? {
        guard let count = try self.length(field, wide: true) else { return nil }
        guard count <= self.buffer.readableBytes else {
            throw self.malformed("\(field) claims \(count) elements in \(self.buffer.readableBytes) bytes")
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try read(&self))
        }
        return elements
    }

    /// An array; a null array reads as empty.
    mutating func array<Element>(
        _ field: String,
        _ read: (inout KafkaReader) throws(KafkaError) -> Element
    ) throws(KafkaError) -> [Element] {
        try self.nullableArray(field, read) ?? []
    }

    mutating func int32Array(_ field: String) throws(KafkaError) -> [Int32] {
        try self.array(field) { (reader: inout KafkaReader) throws(KafkaError) in try reader.int32(field) }
    }

    /// Reads the tagged-field section that ends a structure in flexible versions, returning the
    /// fields by tag (their raw bytes). Fields this client does not know are skipped by their
    /// size, as KIP-482 requires. Reads nothing in other versions.
    @discardableResult
    mutating func taggedFields(_ field: String = "tagged fields") throws(KafkaError) -> [UInt64: ByteBuffer] {
        guard self.flexible else { return [:] }
        let count = try self.unsignedVarint(field)
        var fields: [UInt64: ByteBuffer] = [:]
        var previous: UInt64?
        for _ in 0..<count {
            let tag = try self.unsignedVarint("\(field) tag")
            if let previous, tag <= previous {
                throw self.malformed("tags in \(field) are not in ascending order (\(tag) after \(previous))")
            }
            previous = tag
            let size = try self.unsignedVarint("\(field) size")
            guard size <= UInt64(self.buffer.readableBytes), let value = self.buffer.readSlice(length: Int(size)) else {
                throw self.malformed("tagged field \(tag) claims \(size) bytes, \(self.buffer.readableBytes) remain")
            }
            fields[tag] = value
        }
        return fields
    }
}
