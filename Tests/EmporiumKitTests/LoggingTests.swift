import EmporiumKit
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Log lines")
struct LogLineTests {
    @Test("JSON: one object per line, escaped, the event's metadata winning, the fixed keys protected")
    func jsonLine() throws {
        let capture = LinesBox()
        var logger = Logger(label: "unit") { LineLogHandler(label: $0, format: .json, sink: LogSink { capture.append($0) }) }
        logger[metadataKey: "request_id"] = "r1"
        logger[metadataKey: "status"] = "from the logger"
        logger.info(
            "quote \" backslash \\ newline \n tab \t nul \u{0} zoë",
            metadata: ["status": "200", "message": "not the message", "nested": ["a": ["1", "2"]]]
        )
        let lines = capture.lines
        #expect(lines.count == 1)
        let data = try #require(lines.first)
        #expect(data.last == 0x0A)
        #expect(data.dropLast().contains(0x0A) == false, "one line: the newline in the message is escaped")
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["message"] as? String == "quote \" backslash \\ newline \n tab \t nul \u{0} zoë")
        #expect(object["logger"] as? String == "unit")
        #expect(object["level"] as? String == "info")
        #expect(object["request_id"] as? String == "r1")
        #expect(object["status"] as? String == "200")
        #expect((object["nested"] as? [String: [String]]) == ["a": ["1", "2"]])
        let time = try #require(object["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "RFC 3339 with milliseconds: \(time)")
        let parsed = try #require(ISO8601DateFormatter.withFractions.date(from: time))
        #expect(abs(parsed.timeIntervalSinceNow) < 60)
    }

    @Test("the cached second and the milliseconds make the same text as a date formatter, across seconds")
    func timestamps() {
        let formatter = ISO8601DateFormatter.withFractions
        for seconds in [0, 59, 86_399, 951_782_400, 1_800_000_000, 4_102_444_799] {
            for milliseconds in [0, 7, 999] {
                let stamp = LogTimestamp(seconds: seconds, milliseconds: milliseconds)
                let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000)
                #expect(stamp.iso8601 == formatter.string(from: date))
            }
        }
    }

    @Test("text: a request is one short line; other lines show their metadata but no correlation ids")
    func textLines() throws {
        let capture = LinesBox()
        var logger = Logger(label: "unit") { LineLogHandler(label: $0, format: .text, sink: LogSink { capture.append($0) }) }
        logger[metadataKey: "request_id"] = "r1"
        logger[metadataKey: "trace_id"] = "t1"
        logger.info("request", metadata: ["method": "GET", "route": "/v1/products/{id}", "status": "200", "duration_ms": "0.213"])
        logger.notice("emporium listening", metadata: ["url": "http://127.0.0.1:8080", "services": "all"])
        let lines = capture.lines.map { String(decoding: $0, as: UTF8.self) }
        #expect(lines.count == 2)
        #expect(lines[0].wholeMatch(of: /\d\d:\d\d:\d\d INFO GET \/v1\/products\/\{id\} 200 0\.2ms\n/) != nil, "\(lines[0])")
        #expect(lines[1].wholeMatch(of: /\d\d:\d\d:\d\d NOTICE emporium listening services=all url=http:\/\/127\.0\.0\.1:8080\n/) != nil, "\(lines[1])")
    }
}

@Suite("Buffered log output")
struct BufferedLogOutputTests {
    /// A pipe whose read end is drained by a thread that pauses every `pauseEvery` reads: a slow
    /// reader of the process's standard output.
    final class SlowReader: Sendable {
        let writeEnd: Int32
        private let readEnd: Int32
        private let received = Mutex<[UInt8]>([])
        private let done = DispatchSemaphore(value: 0)

        init(pauseEvery: Int, pause: Duration) {
            var ends: [Int32] = [0, 0]
            precondition(pipe(&ends) == 0)
            readEnd = ends[0]
            writeEnd = ends[1]
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                var reads = 0
                while true {
                    let count = read(readEnd, &buffer, buffer.count)
                    if count <= 0 { break }
                    received.withLock { $0.append(contentsOf: buffer[0..<count]) }
                    reads += 1
                    if reads % pauseEvery == 0 {
                        usleep(UInt32(pause.components.attoseconds / 1_000_000_000_000))
                    }
                }
                close(readEnd)
                done.signal()
            }
            thread.start()
        }

        /// Closes the write end and returns every line read.
        func finish() -> [String] {
            close(writeEnd)
            done.wait()
            return String(decoding: received.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    static func line(_ index: Int) -> [UInt8] {
        Array(#"{"level":"info","message":"line \#(index)","padding":"\#(String(repeating: "x", count: 100))"}"#.utf8) + [0x0A]
    }

    @Test("100,000 lines through a slow reader: none lost, in order, when the queue has room")
    func slowReaderLosesNothing() {
        let reader = SlowReader(pauseEvery: 8, pause: .milliseconds(1))
        let output = BufferedLogOutput(descriptor: reader.writeEnd, capacity: 64 << 20) { _ in Array("dropped\n".utf8) }
        var refused = 0
        for index in 0..<100_000 where !output.append(Self.line(index)) { refused += 1 }
        output.flush()
        #expect(refused == 0)
        let lines = reader.finish()
        #expect(output.droppedLines == 0)
        #expect(lines.count == 100_000)
        #expect(lines.enumerated().allSatisfy { $0.element.contains("\"line \($0.offset)\"") }, "every line once, in order")
    }

    @Test("a full queue drops lines, counts them, and writes one warning with the count; the rest arrive in order")
    func fullQueueCountsDrops() throws {
        let reader = SlowReader(pauseEvery: 1, pause: .milliseconds(5))
        let output = BufferedLogOutput(descriptor: reader.writeEnd, capacity: 64 << 10) { dropped in
            Array("WARNING \(dropped) dropped\n".utf8)
        }
        var refused = 0
        for index in 0..<100_000 where !output.append(Self.line(index)) { refused += 1 }
        output.flush()
        let lines = reader.finish()
        #expect(refused > 0, "a 64 KiB queue cannot hold 100,000 lines of a slow reader")
        #expect(output.droppedLines == refused)
        let warnings = lines.filter { $0.hasPrefix("WARNING ") }
        let reported = warnings.compactMap { Int($0.split(separator: " ")[1]) }.reduce(0, +)
        #expect(reported == refused, "the warnings add up to every dropped line")
        #expect(warnings.count < refused, "one warning per run of drops, not one per line")
        let kept = lines.filter { !$0.hasPrefix("WARNING ") }
        #expect(kept.count + refused == 100_000)
        let numbers = kept.compactMap { line in line.firstMatch(of: /"line (\d+)"/).flatMap { Int($0.1) } }
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count, "kept lines arrive once each, in order")
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
