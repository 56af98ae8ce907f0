public import Tracing

private enum RequestIDKey: InstrumentationContextKey {
    typealias Value = String
    static var nameOverride: String? { "emporium-request-id" }
}

extension InstrumentationContext {
    /// The `X-Request-Id` of the request this task works for, set by ``TraceContextMiddleware``
    /// so calls to other services carry it on.
    public var requestID: String? {
        get { self[RequestIDKey.self] }
        set { self[RequestIDKey.self] = newValue }
    }
}
