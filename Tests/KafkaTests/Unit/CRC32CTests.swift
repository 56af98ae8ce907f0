@testable import Kafka
import NIOCore
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("known vectors: the check value and RFC 3720's test patterns")
    func vectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x2262_0404)
    }

    @Test("the buffer path (8 bytes at a time) agrees with the byte path for every length and offset")
    func slicingAgrees() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                var buffer = ByteBuffer(bytes: bytes)
                buffer.moveReaderIndex(forwardBy: start)
                buffer.moveWriterIndex(to: end)
                #expect(CRC32C.checksum(buffer) == CRC32C.checksum(slice))
            }
        }
    }
}
