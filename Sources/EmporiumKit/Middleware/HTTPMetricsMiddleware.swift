public import Hummingbird
public import Metrics

/// Counts requests and records their durations by route template, method and status.
///
/// Metrics: `http_requests_total{route,method,status}` (counter) and
/// `http_request_duration_seconds{route,method,status}` (histogram, via the Prometheus factory).
public struct HTTPMetricsMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let factory: any MetricsFactory

    /// - Parameter factory: Where the metrics go; passed explicitly so each application (and each
    ///   test) has its own registry.
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let dimensions = [
            ("route", context.endpointPath ?? "unmatched"),
            ("method", request.method.rawValue),
            ("status", String(response.status.code)),
        ]
        Counter(label: "http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordInterval(since: start)
        return response
    }
}

extension Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
