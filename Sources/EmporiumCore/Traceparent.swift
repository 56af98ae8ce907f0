public import Instrumentation

/// The W3C `traceparent` of a span (`00-<trace id>-<span id>-<flags>`) as one string, for the
/// carriers that are not HTTP headers: an event's CloudEvent attribute, a log line's ids.
public enum Traceparent {
    /// The trace and span ids of a well-formed `traceparent` (lowercase hex, 32 and 16 digits).
    public static func identifiers(_ value: String) -> (traceID: Substring, spanID: Substring)? {
        guard isWellFormed(value) else { return nil }
        let utf8 = value.utf8
        let traceStart = utf8.index(utf8.startIndex, offsetBy: 3)
        let traceEnd = utf8.index(traceStart, offsetBy: 32)
        let spanStart = utf8.index(after: traceEnd)
        let spanEnd = utf8.index(spanStart, offsetBy: 16)
        return (value[traceStart..<traceEnd], value[spanStart..<spanEnd])
    }

    /// Whether `value` has the form of a version-00 `traceparent`: `00-`, 32 lowercase hex digits
    /// not all zero, `-`, 16 not all zero, `-`, 2. Anything else starts a new trace.
    public static func isWellFormed(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 55, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0"),
            bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-")
        else { return false }
        func hex(_ range: Range<Int>) -> Bool? {
            var nonZero = false
            for byte in bytes[range] {
                switch byte {
                case UInt8(ascii: "0"): continue
                case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): nonZero = true
                default: return nil
                }
            }
            return nonZero
        }
        guard hex(3..<35) == true, hex(36..<52) == true, hex(53..<55) != nil else { return false }
        return true
    }
}

/// A carrier of the `traceparent` alone: what a tracer injects into it, and what it extracts.
public struct TraceparentCarrier: Injector, Extractor {
    public init() {}

    public func inject(_ value: String, forKey key: String, into carrier: inout String?) {
        if key == "traceparent" { carrier = value }
    }

    public func extract(key: String, from carrier: String?) -> String? {
        key == "traceparent" ? carrier : nil
    }
}

extension Instrument {
    /// The `traceparent` of the span whose context is `context`, nil outside a span.
    public func traceparent(of context: InstrumentationContext) -> String? {
        var carrier: String?
        inject(context, into: &carrier, using: TraceparentCarrier())
        return carrier
    }

    /// The `traceparent` of the span the current task runs in, nil outside one.
    public func currentTraceparent() -> String? {
        InstrumentationContext.current.flatMap { traceparent(of: $0) }
    }

    /// `base` (by default the current task's context, else a top-level one) continuing the
    /// trace of `traceparent`: a span started with it is a child of that span. A missing or
    /// malformed `traceparent` leaves `base` as it is, so the span starts a trace of its own.
    public func context(continuing traceparent: String?, from base: InstrumentationContext? = nil) -> InstrumentationContext {
        var context = base ?? InstrumentationContext.current ?? .topLevel
        if let traceparent, Traceparent.isWellFormed(traceparent) {
            extract(traceparent, into: &context, using: TraceparentCarrier())
        }
        return context
    }
}
