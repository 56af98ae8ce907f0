public import HTTPTypes
public import Hummingbird
import Logging
import EmporiumCore
import W3CTraceContext
import Tracing

/// Starts a server span for each request, continuing the caller's W3C `traceparent` when it is
/// well formed (a malformed one starts a new trace, as a missing one does: not an error), and runs
/// the rest of the request inside it so outgoing calls and events can propagate it.
/// The trace and span ids are added to the request's logger (`trace_id`, `span_id`); the request
/// id goes into the span's context (``InstrumentationContext/requestID``) for calls to other
/// services. The span is named `METHOD /route/{template}` once the router has matched.
/// `/health/…` and `/metrics` (probes and scrapes) get no span.
public struct TraceContextMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let tracer: any Tracer

    public init(tracer: any Tracer) {
        self.tracer = tracer
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Probes and scrapes, every few seconds from every prober, are not traces.
        let path = request.uri.path
        if path.hasPrefix("/health/") || path == "/metrics" { return try await next(request, context) }
        var serviceContext = InstrumentationContext.current ?? .topLevel
        if let parent = request.headers[.traceparent], Traceparent.isWellFormed(parent) {
            tracer.extract(request.headers, into: &serviceContext, using: HTTPFieldsExtractor())
        }
        serviceContext.requestID = context.requestID
        let method = request.method.rawValue
        let span = tracer.startSpan(method, context: serviceContext, ofKind: .server)
        defer { span.end() }
        var context = context
        if let ids = logIdentifiers(of: span.context) {
            // One change of the logger's metadata (each change copies it).
            var metadata = context.logger.handler.metadata
            metadata["trace_id"] = .string(ids.traceID)
            metadata["span_id"] = .string(ids.spanID)
            context.logger.handler.metadata = metadata
        }
        if span.isRecording {
            span.attributes["http.request.method"] = method
            span.attributes["url.path"] = path
        }
        return try await InstrumentationContext.$current.withValue(span.context) {
            do {
                let response = try await next(request, context)
                if span.isRecording {
                    if let route = context.endpointPath {
                        span.operationName = "\(method) \(route)"
                        span.attributes["http.route"] = route
                    }
                    span.attributes["http.response.status_code"] = Int(response.status.code)
                }
                if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
                return response
            } catch {
                span.recordError(error)
                throw error
            }
        }
    }
}

extension TraceContextMiddleware {
    /// The trace and span ids of a span for the log line, in hex: read from the W3C trace context
    /// when the span keeps one (the process's own tracer), else from the `traceparent` the
    /// tracer injects (an exporting tracer keeps its own context).
    func logIdentifiers(of spanContext: InstrumentationContext) -> (traceID: String, spanID: String)? {
        if let trace = spanContext.traceContext {
            return (trace.traceID.description, trace.spanID.description)
        }
        guard let traceparent = tracer.traceparent(of: spanContext), let ids = Traceparent.identifiers(traceparent) else { return nil }
        return (String(ids.traceID), String(ids.spanID))
    }
}

/// Reads propagation headers from Hummingbird's `HTTPFields`.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return carrier[name]
    }
}

/// Writes propagation headers into `HTTPFields`.
public struct HTTPFieldsInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout HTTPFields) {
        guard let name = HTTPField.Name(key) else { return }
        carrier[name] = value
    }
}
