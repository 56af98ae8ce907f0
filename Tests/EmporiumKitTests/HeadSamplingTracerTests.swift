import EmporiumCore
import EmporiumKit
import Testing
import Tracing

/// Which spans the head-sampling tracer hands to the exporting tracer. The exporting tracer here
/// is a ``TraceContextTracer`` standing in for swift-otel's: what matters is which of the two
/// made each span, and the `traceparent` passed on.
@Suite("Head sampling")
struct HeadSamplingTracerTests {
    static func root(_ tracer: HeadSamplingTracer) -> HeadSampledSpan {
        tracer.startSpan("request", context: .topLevel, ofKind: .server)
    }

    static func isExported(_ span: HeadSampledSpan) -> Bool {
        if case .exported = span { return true }
        return false
    }

    @Test("at ratio 0 a new trace is not recorded, nor its children; its traceparent says so")
    func ratioZero() throws {
        let tracer = HeadSamplingTracer(exporting: TraceContextTracer(), ratio: 0)
        let root = Self.root(tracer)
        #expect(!Self.isExported(root) && !root.isRecording)
        let child = tracer.startSpan("SELECT", context: root.context, ofKind: .client)
        #expect(!Self.isExported(child))
        let traceparent = try #require(tracer.traceparent(of: child.context))
        #expect(traceparent.hasSuffix("-00"), "not sampled: \(traceparent)")
        #expect(Traceparent.identifiers(traceparent)?.traceID == Traceparent.identifiers(tracer.traceparent(of: root.context)!)?.traceID)
    }

    @Test("at ratio 1 every new trace and its children are the exporting tracer's")
    func ratioOne() throws {
        let tracer = HeadSamplingTracer(exporting: TraceContextTracer(), ratio: 1)
        let root = Self.root(tracer)
        let child = tracer.startSpan("SELECT", context: root.context, ofKind: .client)
        #expect(Self.isExported(root) && Self.isExported(child))
        #expect(try #require(tracer.traceparent(of: child.context)).hasSuffix("-01"))
    }

    @Test("a caller's decision wins over the ratio, and its trace is continued")
    func parentBased() throws {
        for (flags, ratio, exported) in [("01", 0.0, true), ("00", 1.0, false)] {
            let tracer = HeadSamplingTracer(exporting: TraceContextTracer(), ratio: ratio)
            let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-\(flags)"
            let context = tracer.context(continuing: caller, from: .topLevel)
            let span = tracer.startSpan("GET /v1/products/{id}", context: context, ofKind: .server)
            #expect(Self.isExported(span) == exported, "caller flags \(flags) at ratio \(ratio)")
            let traceparent = try #require(tracer.traceparent(of: span.context))
            #expect(traceparent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-"))
            #expect(!traceparent.contains("00f067aa0ba902b7"), "a span of its own")
            #expect(traceparent.hasSuffix("-\(flags)"))
        }
    }

    @Test("at ratio 0.25 about a quarter of new traces are recorded")
    func ratio() {
        let tracer = HeadSamplingTracer(exporting: TraceContextTracer(), ratio: 0.25)
        let recorded = (0..<20_000).filter { _ in Self.isExported(Self.root(tracer)) }.count
        // Binomial(20,000, 0.25): mean 5,000, standard deviation about 61.
        #expect((4_500...5_500).contains(recorded), "\(recorded) of 20,000")
    }
}
