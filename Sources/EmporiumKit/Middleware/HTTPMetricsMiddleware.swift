public import Hummingbird
public import Metrics
import Synchronization

/// Counts requests and records their durations by route template, method and status.
///
/// Metrics: `http_requests_total{route,method,status}` (counter) and
/// `http_request_duration_seconds{route,method,status}` (histogram, via the Prometheus factory).
public struct HTTPMetricsMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let instruments: Instruments

    /// - Parameter factory: Where the metrics go; passed explicitly so each application (and each
    ///   test) has its own registry.
    public init(factory: any MetricsFactory) {
        self.instruments = Instruments(factory: factory)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let pair = instruments.for(
            Instruments.Key(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code))
        pair.counter.increment()
        pair.timer.recordInterval(since: start)
        return response
    }

    /// The counter and timer of each (route, method, status), made once: the factory's lookup
    /// (labels validated, a lock, a registry search) is not repeated for every request. Routes are
    /// templates, so the set is bounded by the route table.
    final class Instruments: Sendable {
        struct Key: Hashable {
            var route: String
            var method: String
            var status: Int
        }

        struct Pair {
            var counter: Counter
            var timer: Timer
        }

        private let factory: any MetricsFactory
        private let made = Mutex<[Key: Pair]>([:])

        init(factory: any MetricsFactory) {
            self.factory = factory
        }

        func `for`(_ key: Key) -> Pair {
            if let pair = made.withLock({ $0[key] }) { return pair }
            let dimensions = [("route", key.route), ("method", key.method), ("status", String(key.status))]
            let pair = Pair(
                counter: Counter(label: "http_requests_total", dimensions: dimensions, factory: factory),
                timer: Timer(label: "http_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            made.withLock { $0[key] = pair }
            return pair
        }
    }
}

extension Timer {
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
