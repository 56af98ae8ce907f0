import AsyncHTTPClient
import EmporiumCore
import EmporiumKit
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Synchronization
import Tracing

/// Sends requests on to the instances of services that run in other processes, and their
/// answers back, streaming both bodies.
///
/// Each request goes to an instance picked round-robin among those in rotation whose breaker
/// lets it through (``UpstreamInstances``). When the attempt gets no answer (no connection, a
/// time-out) or an answer that says the instance is unwell (502, 503, 504), the instance's
/// failure is recorded and, if the request may be sent again (``RetryRules``, a body small
/// enough to have been kept) and the ``RetryBudget`` allows, it goes to another instance.
public final class UpstreamProxy: Sendable {
    /// Request bodies announced up to this size are read whole before they are sent, and kept,
    /// so that a retryable request can be sent again; larger or unannounced ones are streamed
    /// (``StreamedRequestBody``) and never retried.
    public static let replayableBodyBytes = 64 * 1024

    private let services: [String: UpstreamService]
    private let budget: Mutex<RetryBudget>
    private let client: ServiceCallClient
    private let tracer: any Tracer
    private let settings: GatewaySettings
    private let logger: Logger
    private let requests: MetricsFactoryCounters

    /// - Parameters:
    ///   - instances: The base URLs of each proxied service's instances, by service name.
    ///   - client: The HTTP client to the instances (run by the caller as a service of the process).
    ///   - tracer: Makes a client span of each attempt, whose `traceparent` the instance gets.
    public init(
        instances: [String: [String]], settings: GatewaySettings, client: ServiceCallClient, tracer: any Tracer = NoOpTracer(),
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.services = instances.reduce(into: [:]) { services, entry in
            services[entry.key] = UpstreamService(
                instances: UpstreamInstances(service: entry.key, urls: entry.value, policy: settings.instances), metrics: metrics)
        }
        let ratio = Double(settings.retryBudgetPercent) / 100
        self.budget = Mutex(RetryBudget(ratio: ratio, minimumTokens: ratio > 0 ? 10 : 0, maximumTokens: ratio > 0 ? 100 : 0))
        self.client = client
        self.tracer = tracer
        self.settings = settings
        self.logger = logger
        self.requests = MetricsFactoryCounters(factory: metrics)
    }

    /// The services this proxy sends requests to.
    public var serviceNames: [String] { services.keys.sorted() }

    /// Whether requests for `service` go through this proxy.
    public func proxies(_ service: String) -> Bool { services[service] != nil }

    /// Sends `request` to an instance of `service` and returns its answer (the body streamed).
    /// - Throws: ``ProblemDetails``: 413 for a body over the limit, 502 when no instance
    ///   answered, 504 when the answer took too long, 503 when no instance may be tried.
    public func forward(_ request: Request, context: EmporiumRequestContext, to service: String) async throws -> Response {
        guard let upstream = services[service] else { throw Self.unavailable(service, reason: "it has no configured instance") }
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > settings.maxBodyBytes { throw Self.tooLarge(settings.maxBodyBytes) }
        let hasBody = (length ?? 0) > 0 || request.headers[.transferEncoding] != nil
        var retryable = RetryRules.mayRetry(method: request.method, headers: request.headers)
        let body: HTTPClientRequest.Body?
        let streamed: StreamedRequestBody?
        if !hasBody {
            (body, streamed) = (nil, nil)
        } else if let length, length <= Self.replayableBodyBytes {
            (body, streamed) = (.bytes(try await request.body.collect(upTo: length)), nil)
        } else {
            retryable = false
            let relay = StreamedRequestBody(request.body, limit: settings.maxBodyBytes)
            (body, streamed) = (.stream(relay.chunks, length: length.map { .known(Int64($0)) } ?? .unknown), relay)
        }
        var headers = HTTPHeaders()
        for field in ForwardedHeaders.upstreamRequest(
            request.headers, authority: request.head.authority, peerAddress: context.peerAddress,
            peerIsTrustedProxy: context.peerIsTrustedProxy) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.replaceOrAdd(name: "X-Request-Id", value: context.requestID)
        var outbound = HTTPClientRequest(url: "")
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = headers
        outbound.body = body
        let target = request.head.path ?? request.uri.description
        do {
            let answer = try await send(outbound, target: target, to: service, upstream, retryable: retryable)
            return try await Self.response(from: answer, toHead: request.method == .head, streamed: streamed)
        } catch {
            await streamed?.end()
            throw error
        }
    }

    /// Sends `outbound` to `target` on an instance of `service`, and to another while an attempt
    /// fails and `retryable` and the budget allow; returns the answer whose body is still to read.
    private func send(
        _ outbound: HTTPClientRequest, target: String, to service: String, _ upstream: UpstreamService, retryable: Bool
    ) async throws -> HTTPClientResponse {
        budget.withLock { $0.recordRequest() }
        var tried: Set<Int> = []
        var outbound = outbound
        while true {
            guard let (index, baseURL) = upstream.pick(excluding: tried) else {
                throw Self.unavailable(service, reason: tried.isEmpty ? "every instance's circuit breaker is open" : "no other instance may be tried")
            }
            tried.insert(index)
            outbound.url = baseURL + target
            // The attempt's span ends with its answer's head: the body streams on afterwards.
            let span = tracer.startSpan(outbound.method.rawValue, context: InstrumentationContext.current ?? .topLevel, ofKind: .client)
            if let traceparent = tracer.traceparent(of: span.context) {
                outbound.headers.replaceOrAdd(name: "traceparent", value: traceparent)
            }
            if span.isRecording {
                span.attributes["http.request.method"] = outbound.method.rawValue
                span.attributes["server.address"] = baseURL
                span.attributes["emporium.upstream"] = service
            }
            let failure: any Error
            do {
                let response = try await client.client().execute(outbound, timeout: .init(settings.responseTimeout))
                if span.isRecording { span.attributes["http.response.status_code"] = Int(response.status.code) }
                if response.status.code >= 500 { span.setStatus(.init(code: .error)) }
                span.end()
                let unwell = [502, 503, 504].contains(response.status.code)
                upstream.record(index, success: !unwell)
                requests.count(service: service, outcome: unwell ? "unwell" : "answered")
                if unwell, retryable, tried.count < upstream.count, budget.withLock({ $0.withdrawRetry() }) {
                    // Drop this answer (its body is small: a problem) and try the next instance.
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    requests.count(service: service, outcome: "retried")
                    continue
                }
                return response
            } catch let error as BodyTooLargeError {
                span.recordError(error)
                span.end()
                throw Self.tooLarge(error.limit)
            } catch {
                span.recordError(error)
                span.end()
                failure = error
            }
            upstream.record(index, success: false)
            requests.count(service: service, outcome: "failed")
            if retryable, tried.count < upstream.count, budget.withLock({ $0.withdrawRetry() }) {
                requests.count(service: service, outcome: "retried")
                logger.info("an upstream instance failed; retrying on another", metadata: [
                    "upstream": "\(service)", "instance": "\(baseURL)", "error": "\(failure)",
                ])
                continue
            }
            logger.warning("an upstream instance failed", metadata: ["upstream": "\(service)", "instance": "\(baseURL)", "error": "\(failure)"])
            throw Self.problem(for: failure, service: service, timeout: settings.responseTimeout)
        }
    }

    /// Asks every instance's `/health/ready` (at most `timeout` each) and puts it in or out of rotation.
    public func checkHealth(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for upstream in services.values {
                for (index, url) in upstream.urls.enumerated() {
                    group.addTask {
                        var probe = HTTPClientRequest(url: url + "/health/ready")
                        probe.method = .GET
                        let healthy: Bool
                        do {
                            let response = try await self.client.client().execute(probe, timeout: .init(timeout))
                            healthy = response.status == .ok
                            _ = try? await response.body.collect(upTo: 1 << 16)
                        } catch {
                            healthy = false
                        }
                        upstream.recordHealthCheck(index, healthy: healthy)
                    }
                }
            }
        }
    }

    /// The state of the breaker of each instance, by service (for tests and logs).
    public func breakerStates() -> [String: [CircuitBreaker.State]] {
        services.mapValues { $0.breakerStates() }
    }

    // MARK: answers

    /// The answers whose whole body is read before it is passed on: announced no larger than this.
    /// One write instead of a chunk-by-chunk relay between the two connections' threads, and an
    /// instance that breaks off such an answer is a failed attempt (retried when the request may
    /// be) rather than a cut answer. Larger or unannounced bodies are streamed.
    static let bufferedAnswerBytes = 64 * 1024

    /// - Parameters:
    ///   - toHead: The answer is to a `HEAD` (its `Content-Length` is the body a `GET` would
    ///     have, which it does not carry: passed on as it is).
    ///   - streamed: The request body still being passed on, if any: ended once the answer has
    ///     been written, before the handler returns.
    private static func response(from upstream: HTTPClientResponse, toHead: Bool, streamed: StreamedRequestBody?) async throws -> Response {
        var fields = HTTPFields()
        for header in upstream.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        let headers = ForwardedHeaders.downstreamResponse(fields)
        let contentLength = headers[.contentLength].flatMap { Int($0) }
        let status = HTTPResponse.Status(code: Int(upstream.status.code), reasonPhrase: upstream.status.reasonPhrase)
        if !toHead, let contentLength, contentLength <= bufferedAnswerBytes {
            let whole = try await upstream.body.collect(upTo: contentLength)
            guard let streamed else { return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: whole)) }
            return Response(
                status: status, headers: headers,
                body: ResponseBody(contentLength: whole.readableBytes) { writer in
                    do {
                        try await writer.write(whole)
                        try await writer.finish(nil)
                    } catch {
                        await streamed.end()
                        throw error
                    }
                    await streamed.end()
                })
        }
        let body = upstream.body
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: contentLength) { writer in
                do {
                    for try await chunk in body { try await writer.write(chunk) }
                    try await writer.finish(nil)
                } catch {
                    await streamed?.end()
                    throw error
                }
                await streamed?.end()
            })
    }

    static func unavailable(_ service: String, reason: String) -> ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "service-unavailable", title: "A service is unavailable.", status: .serviceUnavailable,
            detail: "The \(service) service is unavailable: \(reason). Try again shortly.")
    }

    static func tooLarge(_ limit: Int) -> ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "payload-too-large", title: "The request body is too large.", status: .contentTooLarge,
            detail: "The request body is larger than the gateway accepts (\(limit) bytes).")
    }

    static func problem(for error: any Error, service: String, timeout: Duration) -> ProblemDetails {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return ProblemDetails(
                type: ProblemDetails.typeBase + "upstream-timeout", title: "A service did not answer in time.", status: .gatewayTimeout,
                detail: "The \(service) service did not answer within \(timeout).")
        }
        return ProblemDetails(
            type: ProblemDetails.typeBase + "bad-gateway", title: "A service could not be reached.", status: .badGateway,
            detail: "The \(service) service could not be reached; nothing was done. Try again shortly.")
    }
}

/// The instances of one service with their rotation state, shared by concurrent requests.
final class UpstreamService: Sendable {
    let urls: [String]
    private let state: Mutex<UpstreamInstances>
    private let breakerGauges: [Gauge]

    init(instances: UpstreamInstances, metrics: any MetricsFactory) {
        self.urls = instances.instances.map(\.url)
        self.state = Mutex(instances)
        self.breakerGauges = instances.instances.map {
            Gauge(label: "emporium_gateway_breaker_state", dimensions: [("service", instances.service), ("instance", $0.url)], factory: metrics)
        }
        for gauge in breakerGauges { gauge.record(CircuitBreaker.State.closed.rawValue) }
    }

    var count: Int { urls.count }

    func pick(excluding tried: Set<Int>) -> (Int, String)? {
        let now = ContinuousClock.now
        return state.withLock { instances in
            instances.pick(excluding: tried, at: now).map { ($0, instances.instances[$0].url) }
        }
    }

    func record(_ index: Int, success: Bool) {
        let now = ContinuousClock.now
        let breaker = state.withLock { instances in
            instances.record(index, success: success, at: now)
            return instances.instances[index].breaker.state(at: now)
        }
        breakerGauges[index].record(breaker.rawValue)
    }

    func recordHealthCheck(_ index: Int, healthy: Bool) {
        let now = ContinuousClock.now
        let breaker = state.withLock { instances in
            instances.recordHealthCheck(index, healthy: healthy)
            return instances.instances[index].breaker.state(at: now)
        }
        breakerGauges[index].record(breaker.rawValue)
    }

    func breakerStates() -> [CircuitBreaker.State] {
        let now = ContinuousClock.now
        return state.withLock { $0.instances.map { $0.breaker.state(at: now) } }
    }
}

/// `emporium_gateway_upstream_requests_total{service, outcome}`.
struct MetricsFactoryCounters: Sendable {
    let factory: any MetricsFactory

    func count(service: String, outcome: String) {
        Counter(label: "emporium_gateway_upstream_requests_total", dimensions: [("service", service), ("outcome", outcome)], factory: factory)
            .increment()
    }
}
