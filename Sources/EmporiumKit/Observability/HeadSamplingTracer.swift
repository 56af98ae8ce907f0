public import Tracing
public import W3CTraceContext

/// Decides which traces an exporting tracer records, so that the traces it does not record cost
/// what tracing off costs.
///
/// An exporting tracer (swift-otel's) makes a context and ids for every span, sampled or not, and
/// draws its ids from the system's generator under one lock: a system call and a shared lock per
/// span, even at a sample ratio of 0.01. This tracer decides first, parent-based: a span whose
/// parent is recorded is recorded; a span whose parent is not is not; a new trace is recorded
/// with the probability `ratio`. Recorded spans are made by `exporting` (configured to record
/// every span it is given); the others by ``TraceContextTracer``: ids from
/// ``IdentifierGenerator``, the `traceparent` flag "not sampled", passed on all the same.
public struct HeadSamplingTracer: Tracer {
    public typealias Span = HeadSampledSpan

    private let exporting: any Tracer
    private let local = TraceContextTracer(newTracesSampled: false)
    /// New traces are recorded when a random 64-bit value is below this.
    private let threshold: UInt64

    /// - Parameters:
    ///   - exporting: Makes and exports the recorded spans; it must record every span it is asked
    ///     for (an always-on sampler), the decision being made here.
    ///   - ratio: The share of new traces recorded, 0 to 1.
    public init(exporting: any Tracer, ratio: Double) {
        self.exporting = exporting
        let bounded = min(max(ratio, 0), 1)
        self.threshold = bounded >= 1 ? .max : UInt64(bounded * Double(UInt64.max))
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> HeadSampledSpan {
        var parent = context()
        if parent.exportedTrace != true {
            let recorded: Bool
            if let remote = parent.traceContext {
                recorded = remote.flags.contains(.sampled)
            } else {
                var generator = IdentifierGenerator()
                recorded = threshold == .max || generator.next() < threshold
                if recorded {
                    // A new recorded trace: its root gets its ids from the exporting tracer.
                    parent.traceContext = nil
                }
            }
            guard recorded else {
                return .local(local.startSpan(operationName, context: parent, ofKind: kind, at: instant(), function: function, file: fileID, line: line))
            }
            if let remote = parent.traceContext {
                // A recorded caller's span: its child is the exporting tracer's.
                exporting.extract(remote.traceParentHeaderValue, into: &parent, using: TraceparentOnly())
            }
        }
        let span = exporting.startSpan(operationName, context: parent, ofKind: kind, at: instant(), function: function, file: fileID, line: line)
        return .exported(span)
    }

    public func forceFlush() { exporting.forceFlush() }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        // The caller's trace, read the one way; the exporting tracer reads it when a span is recorded.
        context.exportedTrace = nil
        local.extract(carrier, into: &context, using: extractor)
    }

    public func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        if context.exportedTrace == true {
            exporting.inject(context, into: &carrier, using: injector)
        } else {
            local.inject(context, into: &carrier, using: injector)
        }
    }
}

/// A span of ``HeadSamplingTracer``: the exporting tracer's (recorded), or a local one.
public enum HeadSampledSpan: Tracing.Span {
    case exported(any Tracing.Span)
    case local(TraceContextSpan)

    private var base: any Tracing.Span {
        switch self {
        case .exported(let span): span
        case .local(let span): span
        }
    }

    public var context: InstrumentationContext {
        switch self {
        case .exported(let span):
            var context = span.context
            context.exportedTrace = true
            return context
        case .local(let span):
            return span.context
        }
    }

    public var operationName: String {
        get { base.operationName }
        nonmutating set { base.operationName = newValue }
    }

    public var attributes: SpanAttributes {
        get { base.attributes }
        nonmutating set { base.attributes = newValue }
    }

    public var isRecording: Bool {
        switch self {
        case .exported(let span): span.isRecording
        case .local: false
        }
    }

    public func setStatus(_ status: SpanStatus) { base.setStatus(status) }
    public func addEvent(_ event: SpanEvent) { base.addEvent(event) }
    public func addLink(_ link: SpanLink) { base.addLink(link) }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant) {
        base.recordError(error, attributes: attributes, at: instant())
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        base.end(at: instant())
    }
}

/// A carrier of one `traceparent` value, for handing a caller's recorded trace to the exporting tracer.
private struct TraceparentOnly: Extractor {
    func extract(key: String, from carrier: String) -> String? {
        key == "traceparent" ? carrier : nil
    }
}

private enum ExportedTraceKey: InstrumentationContextKey {
    typealias Value = Bool
    static var nameOverride: String? { "emporium-exported-trace" }
}

extension InstrumentationContext {
    /// Whether the current span is the exporting tracer's (its trace is recorded), so that its
    /// children and `traceparent` are that tracer's too.
    var exportedTrace: Bool? {
        get { self[ExportedTraceKey.self] }
        set { self[ExportedTraceKey.self] = newValue }
    }
}
