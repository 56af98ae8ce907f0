public import HTTPTypes
public import Hummingbird
import Logging
import W3CTraceContext
import Tracing

/// Starts a server span for each request, continuing the caller's W3C `traceparent` when present,
/// and runs the rest of the request inside it so outgoing calls and events can propagate it.
/// The trace and span ids are added to the request's logger (`trace_id`, `span_id`); the request
/// id goes into the span's context (``InstrumentationContext/requestID``) for calls to other services.
public struct TraceContextMiddleware<T: Tracer>: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let tracer: T

    public init(tracer: T) {
        self.tracer = tracer
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var serviceContext = InstrumentationContext.current ?? .topLevel
        tracer.extract(request.headers, into: &serviceContext, using: HTTPFieldsExtractor())
        serviceContext.requestID = context.requestID
        let span = tracer.startSpan("\(request.method.rawValue) \(request.uri.path)", context: serviceContext, ofKind: .server)
        defer { span.end() }
        var context = context
        if let trace = span.context.traceContext {
            context.logger[metadataKey: "trace_id"] = .string(trace.traceID.description)
            context.logger[metadataKey: "span_id"] = .string(trace.spanID.description)
        }
        span.attributes["http.request.method"] = request.method.rawValue
        return try await InstrumentationContext.$current.withValue(span.context) {
            do {
                let response = try await next(request, context)
                span.attributes["http.route"] = context.endpointPath
                span.attributes["http.response.status_code"] = Int(response.status.code)
                if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
                return response
            } catch {
                span.recordError(error)
                throw error
            }
        }
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
