import Foundation
import Synchronization

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then random
    /// bits. Within this process an ID made later sorts later, even within one millisecond (the
    /// counter, RFC 9562 §6.2 method 1, starts at a random value each millisecond), so IDs index
    /// well and serve as stable pagination keys.
    public static func v7(at date: Date = .now) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let (milliseconds, counter) = UUIDv7Clock.shared.next(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)), using: &generator)
        var uuid = v7(milliseconds: milliseconds, using: &generator).uuid
        uuid.6 = 0x70 | UInt8(counter >> 8)
        uuid.7 = UInt8(truncatingIfNeeded: counter)
        return UUID(uuid: uuid)
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

    /// The lower-case canonical form, as stored and served: written from the bytes directly (it
    /// is on the path of every read by id; `uuidString.lowercased()` made two strings).
    public var lowercased: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                let digits: StaticString = "0123456789abcdef"
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    text[position] = digits.utf8Start[Int(byte >> 4)]
                    text[position + 1] = digits.utf8Start[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }
}

/// The last (millisecond, counter) pair handed out, so IDs of this process increase.
private final class UUIDv7Clock: Sendable {
    static let shared = UUIDv7Clock()
    private let last = Mutex<(milliseconds: UInt64, counter: UInt16)>((0, 0))

    func next(milliseconds now: UInt64, using generator: inout some RandomNumberGenerator) -> (UInt64, UInt16) {
        let fresh = UInt16.random(in: 0..<0x800, using: &generator)  // half the range: room to count up
        return last.withLock { last in
            if now > last.milliseconds {
                last = (now, fresh)
            } else if last.counter < 0xFFF {
                last.counter += 1  // same millisecond (or the clock went back): count on
            } else {
                last = (last.milliseconds + 1, fresh)  // counter exhausted: borrow the next millisecond
            }
            return (last.milliseconds, last.counter)
        }
    }
}

extension UUID {
    /// Parses the 36-character form (`0190b2f0-0000-7000-8000-000000000000`, either case), as
    /// `UUID(uuidString:)` does, without its `sscanf`: a route parses an id on every request.
    public init?(text: String) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var high: UInt8? = nil
        var index = 0
        var ok = true
        withUnsafeMutableBytes(of: &bytes) { target in
            var position = 0
            for character in utf8 {
                defer { position += 1 }
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    if character != 0x2D { ok = false; return }
                    continue
                }
                let nibble: UInt8
                switch character {
                case 0x30...0x39: nibble = character - 0x30
                case 0x61...0x66: nibble = character - 0x61 + 10
                case 0x41...0x46: nibble = character - 0x41 + 10
                default: ok = false; return
                }
                if let first = high {
                    target[index] = first << 4 | nibble
                    index += 1
                    high = nil
                } else {
                    high = nibble
                }
            }
        }
        guard ok else { return nil }
        self.init(uuid: bytes)
    }
}

