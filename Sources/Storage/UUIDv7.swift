import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits. IDs made later
    /// sort later, so they index well and serve as stable pagination keys.
    public static func v7(at date: Date = .now) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return v7(milliseconds: UInt64(date.timeIntervalSince1970 * 1000), using: &generator)
    }

    /// A version 7 UUID from a given time and random source (deterministic with a seeded generator).
    public static func v7(milliseconds: UInt64, using generator: inout some RandomNumberGenerator) -> UUID {
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        for index in 6..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: (index < 14 ? random.0 : random.1) >> (8 * (index % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // RFC 9562 variant
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }

    /// The lower-case canonical form, as stored and served.
    public var lowercased: String { uuidString.lowercased() }
}
