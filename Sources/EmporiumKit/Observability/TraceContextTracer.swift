import Synchronization
public import Tracing
public import W3CTraceContext

/// A tracer that speaks W3C Trace Context and keeps spans in memory only.
///
/// It continues an incoming `traceparent` (same trace id, a new span id per span), injects
/// `traceparent`/`tracestate` into outgoing carriers, and exposes ids for log correlation. It exports
/// nothing: it is the process's tracer when `tracing.otlpEndpoint` is not set, so that log lines
/// still carry trace ids and calls and events still carry the caller's trace. With an endpoint,
/// swift-otel's tracer replaces it (EmporiumRuntime's `TracingBackend`), with no change to the code that makes spans.
public struct TraceContextTracer: Tracer {
    public typealias Span = TraceContextSpan

    private let newTracesSampled: Bool

    /// - Parameter newTracesSampled: The `sampled` flag of a new trace's `traceparent`: set when
    ///   this tracer is the process's (a callee that records may record it), clear for the
    ///   traces ``HeadSamplingTracer`` decided not to record.
    public init(newTracesSampled: Bool = true) {
        self.newTracesSampled = newTracesSampled
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> TraceContextSpan {
        var context = context()
        let parent = context.traceContext
        var generator = IdentifierGenerator()
        context.traceContext = TraceContext(
            traceID: parent?.traceID ?? .random(using: &generator),
            spanID: .random(using: &generator),
            flags: parent?.flags ?? (newTracesSampled ? .sampled : []),
            state: parent?.state ?? TraceState()
        )
        return TraceContextSpan(operationName: operationName, context: context)
    }

    public func forceFlush() {}

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier),
            let trace = try? TraceContext(
                traceParentHeaderValue: parent,
                traceStateHeaderValue: extractor.extract(key: "tracestate", from: carrier)
            )
        else { return }
        context.traceContext = trace
    }

    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let trace = context.traceContext else { return }
        injector.inject(trace.traceParentHeaderValue, forKey: "traceparent", into: &carrier)
        if let state = trace.traceStateHeaderValue {
            injector.inject(state, forKey: "tracestate", into: &carrier)
        }
    }
}

/// A span of ``TraceContextTracer``: its identity, which calls and log lines carry. It is not
/// recording (``isRecording`` is false), so instrumented code skips its attributes: nothing
/// would read them, and they cost allocations on every request.
public final class TraceContextSpan: Span {
    public let context: InstrumentationContext
    private struct State {
        var operationName: String
        var attributes = SpanAttributes()
        var status: SpanStatus?
    }
    private let state: Mutex<State>

    init(operationName: String, context: InstrumentationContext) {
        self.context = context
        self.state = Mutex(State(operationName: operationName))
    }

    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { $0.operationName = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// The status set on the span, if any.
    public var status: SpanStatus? { state.withLock { $0.status } }

    public var isRecording: Bool { false }

    public func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    public func addEvent(_ event: SpanEvent) {}
    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        setStatus(.init(code: .error))
    }
    public func addLink(_ link: SpanLink) {}
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {}
}

private enum TraceContextKey: InstrumentationContextKey {
    typealias Value = TraceContext
    static var nameOverride: String? { "w3c-trace-context" }
}

extension InstrumentationContext {
    /// The W3C trace context of the current span, if any.
    public var traceContext: TraceContext? {
        get { self[TraceContextKey.self] }
        set { self[TraceContextKey.self] = newValue }
    }
}
