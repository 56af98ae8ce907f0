import NIOCore

/// Turns message bytes into what follows `DATA` on the wire (RFC 5321, section 4.5.2): every
/// line break becomes CRLF (a bare CR or LF included), a line starting with `.` gets a second
/// `.` (dot-stuffing, so the line cannot end the message early), and the end is marked with a
/// line holding a single `.`.
enum SMTPDataEncoder {
    /// Writes `bytes`, dot-stuffed and with CRLF line breaks, then `.` CRLF, into `buffer`.
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes, into buffer: inout ByteBuffer) {
        var atLineStart = true
        var afterCR = false
        for byte in bytes {
            switch byte {
            case 0x0D:
                buffer.writeBytes([0x0D, 0x0A])
                atLineStart = true
                afterCR = true
            case 0x0A:
                if !afterCR { buffer.writeBytes([0x0D, 0x0A]) }
                atLineStart = true
                afterCR = false
            default:
                if atLineStart && byte == UInt8(ascii: ".") {
                    buffer.writeInteger(UInt8(ascii: "."))
                }
                buffer.writeInteger(byte)
                atLineStart = false
                afterCR = false
            }
        }
        if !atLineStart {
            buffer.writeBytes([0x0D, 0x0A])
        }
        buffer.writeBytes([UInt8(ascii: "."), 0x0D, 0x0A])
    }

    /// `bytes` with every line break (CRLF, bare CR, bare LF) as CRLF.
    static func normalizingLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32)
        var afterCR = false
        for byte in bytes {
            switch byte {
            case 0x0D:
                output.append(contentsOf: [0x0D, 0x0A])
                afterCR = true
            case 0x0A:
                if !afterCR { output.append(contentsOf: [0x0D, 0x0A]) }
                afterCR = false
            default:
                output.append(byte)
                afterCR = false
            }
        }
        return output
    }
}
