import HTTPTypes
import EmporiumCore
import AsyncHTTPClient
import EmporiumKit
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Tracing

/// The storefront's client of Emporium's public API (`/v1/…`), the same routes any client uses,
/// at `storefront.apiURL` (this process by default, the gateway in a cluster).
///
/// Calls go through the process's one HTTP client (``ServiceCallClient``), each in a client span
/// with the page request's `X-Request-Id` and `traceparent` (``CallPropagation``), and end
/// within ``timeout``.
struct ShopAPI: Sendable {
    /// An answer: its status, headers and body.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var isSuccess: Bool { (200..<300).contains(status) }

        /// The body as `Value`, or the refusal it is.
        /// - Throws: ``ShopAPIError``.
        func decode<Value: Decodable>(_ type: Value.Type) throws(ShopAPIError) -> Value {
            guard isSuccess else { throw refusal }
            do {
                return try JSONDecoder().decode(Value.self, from: body)
            } catch {
                throw .unavailable("the API answered something unexpected")
            }
        }

        /// The problem of a refusal the page shows the visitor (a 4xx other than `except`);
        /// anything else (a success, a 5xx, an excluded status) is thrown as the refusal it is,
        /// for ``PageResponder`` to turn into its page (a 401 into the sign-in form).
        /// - Throws: ``ShopAPIError``.
        func shownRefusal(except excluded: Set<Int> = []) throws(ShopAPIError) -> ProblemDetails {
            guard case .refused(let problem) = refusal, (400..<500).contains(problem.status), !excluded.contains(problem.status) else {
                throw refusal
            }
            return problem
        }

        /// The problem of a refused call (a plain one, from its status, when the body is none).
        var refusal: ShopAPIError {
            if let problem = try? JSONDecoder().decode(ProblemDetails.self, from: body) { return .refused(problem) }
            return .refused(ProblemDetails(
                type: ProblemDetails.typeBase + "error", title: "The request failed.", status: .init(code: status), detail: nil))
        }
    }

    private let baseURL: @Sendable () -> String?
    private let client: ServiceCallClient
    private let timeout: Duration
    private let tracer: any Tracer
    private let logger: Logger

    init(baseURL: @escaping @Sendable () -> String?, client: ServiceCallClient, timeout: Duration, tracer: any Tracer, logger: Logger) {
        self.baseURL = baseURL
        self.client = client
        self.timeout = timeout
        self.tracer = tracer
        self.logger = logger
    }

    /// Sends `method` to `target` (`/v1/cart`), with `json` as the body when given.
    /// - Parameters:
    ///   - token: The shopper's access token, sent as `Authorization: Bearer`.
    ///   - headers: Further headers (`X-Cart-Id`, `Idempotency-Key`, `X-Forwarded-For`).
    /// - Throws: ``ShopAPIError/unavailable(_:)`` when no answer came.
    func send(
        _ method: HTTPMethod, _ target: String, json: (any Encodable)? = nil, token: String? = nil, headers extra: [(String, String)] = []
    ) async throws(ShopAPIError) -> Answer {
        guard let base = baseURL() else { throw .unavailable("the API's address is not known yet") }
        let parent = InstrumentationContext.current ?? .topLevel
        let span = tracer.startSpan("\(method.rawValue) api", context: parent, ofKind: .client)
        defer { span.end() }
        span.attributes["http.request.method"] = method.rawValue
        var request = HTTPClientRequest(url: base + target)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            do {
                request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(json)))
            } catch {
                preconditionFailure("a request body must encode: \(error)")
            }
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        CallPropagation.propagate(parent: parent, span: span, tracer: tracer, into: &request.headers)
        do {
            let response = try await client.client().execute(request, timeout: .init(timeout))
            let body = try await response.body.collect(upTo: 4 << 20)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            return Answer(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
        } catch {
            span.setStatus(.init(code: .error))
            logger.warning("storefront call to the API failed", metadata: ["target": "\(target)", "error": "\(error)"])
            throw .unavailable("the shop's API did not answer")
        }
    }
}

/// Why a call to the API did not give what the page needs.
enum ShopAPIError: Error, Sendable {
    /// The API answered with a problem.
    case refused(ProblemDetails)
    /// No usable answer.
    case unavailable(String)
}
