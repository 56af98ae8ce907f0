import Foundation
import Synchronization

/// The wall-clock time of a log line, formatted without a formatter per line: the text of the
/// current second (`2026-12-06T10:11:34`, UTC) is computed once a second and cached, and each line
/// appends its milliseconds.
public struct LogTimestamp: Sendable {
    /// Seconds since 1970 (UTC).
    public var seconds: Int
    /// Milliseconds within the second, 0–999.
    public var milliseconds: Int

    /// The current time.
    public static func now() -> LogTimestamp {
        let now = Date().timeIntervalSince1970
        let seconds = now.rounded(.down)
        return LogTimestamp(seconds: Int(seconds), milliseconds: min(999, Int((now - seconds) * 1000)))
    }

    public init(seconds: Int, milliseconds: Int) {
        self.seconds = seconds
        self.milliseconds = milliseconds
    }

    /// Appends RFC 3339 UTC with milliseconds: `2026-12-06T10:11:34.123Z`.
    public func appendISO8601(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: Self.secondText(seconds).iso8601)
        bytes.append(0x2E)  // .
        Self.appendDigits(milliseconds, count: 3, to: &bytes)
        bytes.append(0x5A)  // Z
    }

    /// Appends the time of day, `10:11:34` (UTC), for the text format.
    public func appendTimeOfDay(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: Self.secondText(seconds).iso8601.suffix(8))
    }

    /// The RFC 3339 text, `2026-12-06T10:11:34.123Z`.
    public var iso8601: String {
        var bytes: [UInt8] = []
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: the cached second

    private struct Second {
        var seconds: Int
        var iso8601: [UInt8]
    }

    private static let cached = Mutex(Second(seconds: .min, iso8601: []))

    private static func secondText(_ seconds: Int) -> Second {
        if let hit = cached.withLock({ $0.seconds == seconds ? $0 : nil }) { return hit }
        let fresh = Second(seconds: seconds, iso8601: format(seconds))
        cached.withLock { if $0.seconds < seconds { $0 = fresh } }
        return fresh
    }

    /// `YYYY-MM-DDTHH:MM:SS` of `seconds` since 1970 in UTC.
    static func format(_ seconds: Int) -> [UInt8] {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(19)
        appendDigits(Int(parts.tm_year) + 1900, count: 4, to: &bytes)
        bytes.append(0x2D)
        appendDigits(Int(parts.tm_mon) + 1, count: 2, to: &bytes)
        bytes.append(0x2D)
        appendDigits(Int(parts.tm_mday), count: 2, to: &bytes)
        bytes.append(0x54)  // T
        appendDigits(Int(parts.tm_hour), count: 2, to: &bytes)
        bytes.append(0x3A)
        appendDigits(Int(parts.tm_min), count: 2, to: &bytes)
        bytes.append(0x3A)
        appendDigits(Int(parts.tm_sec), count: 2, to: &bytes)
        return bytes
    }

    /// Appends `value` in decimal, left-padded with zeros to `count` digits.
    static func appendDigits(_ value: Int, count: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var value = value
        while divisor > 0 {
            bytes.append(0x30 + UInt8(truncatingIfNeeded: (value / divisor) % 10))
            value %= divisor
            divisor /= 10
        }
    }
}
