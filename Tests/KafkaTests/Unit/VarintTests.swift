@testable import Kafka
import NIOCore
import Testing

@Suite("Varints and zig-zag")
struct VarintTests {
    @Test("zig-zag maps 0, -1, 1, -2, 2 to 0, 1, 2, 3, 4 and back, including the extremes")
    func zigZag() {
        let pairs: [(Int64, UInt64)] = [(0, 0), (-1, 1), (1, 2), (-2, 3), (2, 4), (Int64(Int32.max), 4_294_967_294), (Int64(Int32.min), 4_294_967_295), (.max, .max - 1), (.min, .max)]
        for (signed, unsigned) in pairs {
            #expect(Varint.zigZag(signed) == unsigned)
            #expect(Varint.unZigZag(unsigned) == signed)
        }
    }

    @Test("unsigned varints are 7 bits a byte, low bits first: 300 is AC 02")
    func unsignedEncoding() {
        let cases: [(UInt64, [UInt8])] = [(0, [0]), (1, [1]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]), (16384, [0x80, 0x80, 0x01]), (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])]
        for (value, bytes) in cases {
            var buffer = ByteBuffer()
            #expect(buffer.writeUnsignedVarint(value) == bytes.count)
            #expect(Array(buffer.readableBytesView) == bytes, "\(value)")
            #expect(Varint.size(unsigned: value) == bytes.count)
            #expect(buffer.readUnsignedVarint() == value)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("signed varints round-trip; -1 is 01, 1 is 02, -65 is 81 01")
    func signedRoundTrip() {
        var buffer = ByteBuffer()
        buffer.writeVarint(-1)
        buffer.writeVarint(1)
        buffer.writeVarint(-65)
        #expect(Array(buffer.readableBytesView) == [0x01, 0x02, 0x81, 0x01])
        for value: Int64 in [0, -1, 1, 63, -64, 64, -65, 1 << 40, -(1 << 40), .max, .min] {
            var buffer = ByteBuffer()
            buffer.writeVarint(value)
            #expect(buffer.readVarint() == value)
        }
    }

    @Test("a truncated or over-long varint reads as nil and consumes nothing")
    func truncated() {
        var buffer = ByteBuffer(bytes: [0x80, 0x80])
        #expect(buffer.readUnsignedVarint() == nil)
        #expect(buffer.readableBytes == 2)
        var long = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        #expect(long.readUnsignedVarint(maxBytes: 5) == nil)
        #expect(long.readableBytes == 6)
    }
}
