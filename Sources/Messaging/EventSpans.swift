import EmporiumCore
import Tracing

extension EventTransport {
    /// A span of one event moving through this transport (`publish <type>` as a producer,
    /// `process <type>` as a consumer), a child of the span that wrote the event, with the
    /// OpenTelemetry messaging attributes and `extra`; nil for an event written outside a span
    /// (no `traceparent`: a background job's), which gets none.
    func span(
        _ operation: EventSpanOperation, of event: (id: String, type: String, traceparent: String?), tracer: any Tracer,
        extra: SpanAttributes = [:]
    ) -> (any Span)? {
        guard let traceparent = event.traceparent, Traceparent.isWellFormed(traceparent) else { return nil }
        let span = tracer.startSpan(
            "\(operation.rawValue) \(event.type)", context: tracer.context(continuing: traceparent, from: .topLevel),
            ofKind: operation == .publish ? .producer : .consumer)
        if span.isRecording {
            var attributes = extra
            attributes["messaging.system"] = messagingSystem
            attributes["messaging.operation.type"] = operation == .publish ? "send" : "process"
            attributes["messaging.destination.name"] = event.type
            attributes["messaging.message.id"] = event.id
            span.attributes.merge(attributes)
        }
        return span
    }
}

/// What an event span covers.
enum EventSpanOperation: String {
    /// The outbox relay handing it to the transport.
    case publish
    /// A consumer applying it.
    case process
}
