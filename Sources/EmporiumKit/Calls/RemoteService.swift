public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import Synchronization
import NIOFoundationCompat
public import NIOHTTP1
public import Security
public import Tracing

/// Another Emporium service reached over HTTP: the transport under every contract's HTTP client
/// (`HTTPCatalogPricing`, `HTTPInventoryAPI`, …).
///
/// Each call goes to `<baseURL><target>` (the callee's `/internal/v1/…` routes) with a
/// ``ServiceCredential`` signed for it, the current request's `X-Request-Id`, and `traceparent`
/// of a client span; it ends within ``timeout``. A callee that cannot be reached, does not answer
/// in time or answers something unexpected is a ``ServiceUnavailableError`` naming it; a problem
/// the contract knows (a 409 the caller must handle) becomes the contract's error through `refusal`.
public struct RemoteService: Sendable {
    /// The callee's name (`catalog`).
    public let name: String
    /// Where its instances listen: `http://catalog:8080` (scheme, host and port, no path), one
    /// or several; calls go round-robin, and a call whose connection cannot be made (nothing
    /// was sent) goes on to the next instance. Empty when not configured: every call fails as
    /// unavailable.
    public let baseURLs: [String]
    /// The first instance's base URL, nil when not configured.
    public var baseURL: String? { baseURLs.first }
    /// The calling service's name, signed into every call.
    public let caller: String
    /// The longest a call may take, connection included.
    public let timeout: Duration
    /// The largest answer read, in bytes.
    public static let maximumAnswerSize = 4 << 20

    private let credential: ServiceCredential?
    private let cursor = RoundRobinCursor()
    private let client: @Sendable () throws -> HTTPClient
    private let tracer: any Tracer
    private let logger: Logger

    public init(
        name: String, baseURLs: [String], caller: String, credential: ServiceCredential?, timeout: Duration,
        client: ServiceCallClient, tracer: any Tracer = NoOpTracer(), logger: Logger
    ) {
        self.init(name: name, baseURLs: baseURLs, caller: caller, credential: credential, timeout: timeout, tracer: tracer, logger: logger) {
            try client.client()
        }
    }

    /// A callee reached through `client`, which the caller shuts down.
    public init(
        name: String, baseURL: String?, caller: String, credential: ServiceCredential?, timeout: Duration,
        client: HTTPClient, tracer: any Tracer = NoOpTracer(), logger: Logger
    ) {
        self.init(
            name: name, baseURLs: baseURL.map { [$0] } ?? [], caller: caller, credential: credential, timeout: timeout, tracer: tracer,
            logger: logger
        ) {
            client
        }
    }

    private init(
        name: String, baseURLs: [String], caller: String, credential: ServiceCredential?, timeout: Duration,
        tracer: any Tracer, logger: Logger, client: @escaping @Sendable () throws -> HTTPClient
    ) {
        self.name = name
        self.baseURLs = baseURLs.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.caller = caller
        self.credential = credential
        self.timeout = timeout
        self.client = client
        self.tracer = tracer
        self.logger = logger
    }

    /// A callee nobody configured: every call fails as unavailable.
    public static func unconfigured(_ name: String) -> RemoteService {
        RemoteService(
            name: name, baseURLs: [], caller: "", credential: nil, timeout: .seconds(1), tracer: NoOpTracer(),
            logger: Logger(label: "emporium.calls")
        ) { throw ServiceUnavailableError(service: name, reason: "not configured") }
    }

    /// Sends `body` as JSON with `method` to `target` (a path with its query, `/internal/v1/…`)
    /// and decodes the answer as `Answer`.
    /// - Parameter refusal: Turns a problem answer the contract defines into its error; nil for
    ///   any other problem, which is then a ``ServiceUnavailableError``.
    public func call<Answer: Decodable>(
        _ method: HTTPMethod, _ target: String, body: some Encodable, as answer: Answer.Type,
        refusal: (ProblemDetails) -> (any Error)? = { _ in nil }
    ) async throws -> Answer {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(body)
        } catch {
            preconditionFailure("a contract's request body must encode: \(error)")
        }
        return try await send(method, target, body: encoded, as: answer, refusal: refusal)
    }

    /// Sends a request without a body (`GET`, or a `POST` whose path says it all).
    public func call<Answer: Decodable>(
        _ method: HTTPMethod, _ target: String, as answer: Answer.Type,
        refusal: (ProblemDetails) -> (any Error)? = { _ in nil }
    ) async throws -> Answer {
        try await send(method, target, body: nil, as: answer, refusal: refusal)
    }

    private func send<Answer: Decodable>(
        _ method: HTTPMethod, _ target: String, body: Data?, as answer: Answer.Type,
        refusal: (ProblemDetails) -> (any Error)?
    ) async throws -> Answer {
        guard !baseURLs.isEmpty else {
            throw ServiceUnavailableError(service: name, reason: "services.\(name).url is not set and it does not run in this process")
        }
        guard let credential else {
            throw ServiceUnavailableError(service: name, reason: "this process has no service secret to sign calls with (services.secret)")
        }
        let parent = InstrumentationContext.current ?? .topLevel
        let span = tracer.startSpan("\(method.rawValue) \(name)", context: parent, ofKind: .client)
        defer { span.end() }
        span.attributes["http.request.method"] = method.rawValue
        span.attributes["emporium.callee"] = name

        var request = HTTPClientRequest(url: target)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        CallPropagation.propagate(parent: parent, span: span, tracer: tracer, into: &request.headers)
        request.headers.add(
            name: ServiceCredential.headerName,
            value: credential.sign(caller: caller, method: method.rawValue, target: target, body: body ?? Data()))

        let status: HTTPResponseStatus
        let bytes: ByteBuffer
        do {
            (status, bytes) = try await exchange(request, target: target, span: span)
        } catch {
            let failure = ServiceUnavailableError(service: name, reason: Self.describe(error, timeout: timeout))
            span.setStatus(.init(code: .error))
            logger.warning("call to another service failed", metadata: [
                "callee": "\(name)", "target": "\(target)", "error": "\(failure.reason)",
            ])
            throw failure
        }
        span.attributes["http.response.status_code"] = Int(status.code)
        if (200..<300).contains(status.code) {
            do {
                return try JSONDecoder().decode(Answer.self, from: Data(buffer: bytes))
            } catch {
                span.setStatus(.init(code: .error))
                throw ServiceUnavailableError(service: name, reason: "its answer to \(method.rawValue) \(target) is not what the contract says")
            }
        }
        let problem = try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: bytes))
        if let problem, let known = refusal(problem) { throw known }
        span.setStatus(.init(code: .error))
        let reason = "it answered \(status.code)" + (problem?.detail.map { ": \($0)" } ?? "")
        logger.warning("call to another service refused", metadata: [
            "callee": "\(name)", "target": "\(target)", "status": "\(status.code)", "detail": "\(problem?.detail ?? "")",
        ])
        throw ServiceUnavailableError(service: name, reason: reason)
    }

    /// Sends `request` to `target` on the next instance, and on to the following ones while the
    /// connection cannot be made (nothing was sent), within ``timeout`` in all.
    private func exchange(_ request: HTTPClientRequest, target: String, span: any Span) async throws -> (HTTPResponseStatus, ByteBuffer) {
        var request = request
        let deadline = NIODeadline.now() + .init(timeout)
        let first = cursor.next(of: baseURLs.count)
        var attempt = 0
        while true {
            let baseURL = baseURLs[(first + attempt) % baseURLs.count]
            request.url = baseURL + target
            span.attributes["server.address"] = baseURL
            do {
                let response = try await client().execute(request, deadline: deadline)
                return (response.status, try await response.body.collect(upTo: Self.maximumAnswerSize))
            } catch where Self.isConnectionFailure(error) && attempt + 1 < baseURLs.count && NIODeadline.now() < deadline {
                attempt += 1
            }
        }
    }

    /// Whether `error` says the connection could not be made, so nothing was sent.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        let text = "\(error)"
        return text.contains("connectionRefused") || text.contains("Connection refused")
    }

    /// Why a call got no answer, in words for a problem's detail.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let error = error as? ServiceUnavailableError { return error.reason }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return "no answer within \(timeout)"
            case .connectTimeout:
                return "no connection within \(timeout)"
            default:
                return "the call failed (\(error))"
            }
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") {
            return "connection refused"
        }
        return "the call failed (\(error))"
    }
}

/// What every outgoing call of a process carries from the request it serves: the request's
/// `X-Request-Id`, and `traceparent` (and `tracestate`) of the call's client span. Shared by
/// ``RemoteService`` and the storefront's client of the public API.
public enum CallPropagation {
    /// Adds the propagation headers of a call made within `parent` under `span`.
    public static func propagate(parent: InstrumentationContext, span: any Span, tracer: any Tracer, into headers: inout HTTPHeaders) {
        if let requestID = parent.requestID { headers.replaceOrAdd(name: "X-Request-Id", value: requestID) }
        tracer.inject(span.context, into: &headers, using: HTTPHeadersInjector())
    }
}

/// Writes propagation headers into NIO's `HTTPHeaders`.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout HTTPHeaders) {
        carrier.replaceOrAdd(name: key, value: value)
    }
}

/// Hands out instance indexes round-robin, shared by every copy of a ``RemoteService``.
final class RoundRobinCursor: Sendable {
    private let position = Atomic<Int>(0)

    /// The next index below `count` (at least 1).
    func next(of count: Int) -> Int {
        let value = position.add(1, ordering: .relaxed).oldValue
        return ((value % count) + count) % count
    }
}
