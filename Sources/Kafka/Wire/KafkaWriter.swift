import NIOCore

/// Writes the primitive types of the Kafka protocol into a buffer, in the encoding of one API
/// version: with `flexible` (KIP-482 versions), strings, byte arrays and arrays are "compact"
/// (unsigned-varint length + 1) and every structure ends with tagged fields; otherwise strings
/// have an INT16 length, bytes and arrays an INT32 one, and there are no tagged fields.
///
/// Request encoders call the same methods for every version and the writer picks the encoding,
/// so an encoder only spells out which fields exist in which version.
struct KafkaWriter {
    var buffer: ByteBuffer
    /// Whether this is a flexible version of the API.
    let flexible: Bool

    init(buffer: ByteBuffer = ByteBuffer(), flexible: Bool) {
        self.buffer = buffer
        self.flexible = flexible
    }

    mutating func int8(_ value: Int8) { self.buffer.writeInteger(value) }
    mutating func int16(_ value: Int16) { self.buffer.writeInteger(value) }
    mutating func int32(_ value: Int32) { self.buffer.writeInteger(value) }
    mutating func int64(_ value: Int64) { self.buffer.writeInteger(value) }
    mutating func bool(_ value: Bool) { self.buffer.writeInteger(UInt8(value ? 1 : 0)) }

    /// A UUID (topic ids): 16 bytes; all zero is the null UUID.
    mutating func uuid(_ value: KafkaUUID) {
        self.buffer.writeInteger(value.high)
        self.buffer.writeInteger(value.low)
    }

    /// A length: unsigned varint of `count + 1` when flexible (0 is null), else INT16 or INT32.
    private mutating func length(_ count: Int?, wide: Bool) {
        if self.flexible {
            self.buffer.writeUnsignedVarint(UInt64((count ?? -1) + 1))
        } else if wide {
            self.buffer.writeInteger(Int32(count ?? -1))
        } else {
            self.buffer.writeInteger(Int16(count ?? -1))
        }
    }

    /// STRING or COMPACT_STRING.
    mutating func string(_ value: String) {
        self.length(value.utf8.count, wide: false)
        self.buffer.writeString(value)
    }

    /// NULLABLE_STRING or COMPACT_NULLABLE_STRING.
    mutating func nullableString(_ value: String?) {
        guard let value else {
            self.length(nil, wide: false)
            return
        }
        self.string(value)
    }

    /// NULLABLE_BYTES or COMPACT_NULLABLE_BYTES (also RECORDS).
    mutating func bytes(_ value: ByteBuffer?) {
        guard var value else {
            self.length(nil, wide: true)
            return
        }
        self.length(value.readableBytes, wide: true)
        self.buffer.writeBuffer(&value)
    }

    /// ARRAY or COMPACT_ARRAY; nil writes the null array.
    mutating func array<Element>(_ elements: [Element]?, _ write: (inout KafkaWriter, Element) throws -> Void) rethrows {
        guard let elements else {
            self.length(nil, wide: true)
            return
        }
        self.length(elements.count, wide: true)
        for element in elements {
            try write(&self, element)
        }
    }

    /// An array of INT32.
    mutating func int32Array(_ values: [Int32]) {
        self.array(values) { $0.int32($1) }
    }

    /// The tagged-field section that ends a structure in flexible versions (none of ours carry
    /// any: the count 0). Writes nothing in other versions.
    mutating func taggedFields() {
        if self.flexible { self.buffer.writeUnsignedVarint(0) }
    }
}

/// A 128-bit UUID as Kafka sends it (topic ids).
public struct KafkaUUID: Sendable, Hashable, CustomStringConvertible {
    /// The most significant 64 bits.
    public var high: UInt64
    /// The least significant 64 bits.
    public var low: UInt64

    /// The all-zero UUID, which Kafka uses for "no topic id".
    public static let zero = KafkaUUID(high: 0, low: 0)

    /// A UUID from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Hexadecimal, as `8-4-4-4-12` digits.
    public var description: String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
    }
}
