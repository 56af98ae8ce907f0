import Synchronization

/// Random-looking 64-bit values for request, trace and span ids, without a system call each.
///
/// `SystemRandomNumberGenerator` asks the kernel (`getrandom(2)`) on every call, three times per
/// request for a request id, a trace id and a span id. These ids need to be unique and spread,
/// not secret: this is SplitMix64 over one atomic counter seeded once from the system generator,
/// a bijection of the counter, so no value repeats before 2^64 calls and every thread may draw
/// without a lock. Never use it for tokens, keys or anything an attacker must not guess.
public struct IdentifierGenerator: RandomNumberGenerator {
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init() {}

    public mutating func next() -> UInt64 {
        var z = Self.counter.wrappingAdd(Self.gamma, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random (version 4) UUID in lower case, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, formatted
    /// without Foundation.
    public static func uuidString() -> String {
        var generator = IdentifierGenerator()
        var high = generator.next()
        var low = generator.next()
        high = (high & ~0xF000) | 0x4000  // version 4 in bits 12–15 of the third group
        low = (low & ~(0xC << 60)) | (0x8 << 60)  // the RFC 4122 variant
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            func dash() {
                buffer[index] = 0x2D
                index += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put(high >> 16, nibbles: 4)
            dash()
            put(high, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low, nibbles: 12)
            return 36
        }
    }
}
