import Foundation
public import HTTPTypes
public import Hummingbird

/// An RFC 9457 problem: the body of every error response (`application/problem+json`).
///
/// Throw one from a handler; ``ProblemMiddleware`` writes it, adding the request id.
public struct ProblemDetails: Error, Sendable, Codable, Equatable {
    /// A URI naming the kind of problem (`https://emporium.dev/problems/validation`).
    public var type: String
    /// A short summary of the kind of problem, the same for every occurrence.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// What went wrong this time, for a person.
    public var detail: String?
    /// The request path that produced the problem.
    public var instance: String?
    /// One entry per invalid field or parameter, when the problem is about input.
    public var errors: [FieldError]?
    /// The `X-Request-Id` of the request, to find its log line.
    public var requestId: String?

    /// One invalid input: which field (a JSON path such as `variants[0].price.amount`) or query
    /// parameter, and why.
    public struct FieldError: Sendable, Codable, Equatable {
        /// The JSON path of the field in the body (`variants[0].sku`), or nil for a query parameter.
        public var field: String?
        /// The query or path parameter, or nil for a body field.
        public var parameter: String?
        /// Why the value is refused.
        public var detail: String

        /// `field: detail`, for the problem's summary line.
        var summary: String { "\(field ?? parameter ?? "body"): \(detail)" }

        public init(field: String? = nil, parameter: String? = nil, detail: String) {
            self.field = field
            self.parameter = parameter
            self.detail = detail
        }
    }

    public init(
        type: String,
        title: String,
        status: HTTPResponse.Status,
        detail: String? = nil,
        errors: [FieldError]? = nil
    ) {
        self.type = type
        self.title = title
        self.status = status.code
        self.detail = detail
        self.errors = errors
    }

    /// The prefix of every problem `type` URI.
    public static let typeBase = "https://emporium.dev/problems/"

    /// The HTTP status as a value.
    public var httpStatus: HTTPResponse.Status { .init(code: status) }
}

// MARK: - Common problems

extension ProblemDetails {
    /// 400: the body or a parameter is invalid; `errors` names each field.
    public static func validation(_ errors: [FieldError], detail: String? = nil) -> Self {
        .init(
            type: typeBase + "validation",
            title: "Your request has invalid input.",
            status: .badRequest,
            detail: detail ?? errors.map(\.summary).joined(separator: "; "),
            errors: errors
        )
    }

    /// 422: the request is well-formed (it matches the OpenAPI document) but a rule that the
    /// document can only describe in words refuses it: a reference to something that does not
    /// exist, a value repeated where it must be unique, parameters that contradict each other,
    /// a cursor this server did not issue, a password the policy refuses. `errors` names each.
    ///
    /// 400 is kept for input that breaks the document, so a request valid per the document is
    /// never a 400.
    public static func unprocessable(_ errors: [FieldError], detail: String? = nil) -> Self {
        .init(
            type: typeBase + "unprocessable",
            title: "Your request is well-formed but cannot be processed.",
            status: .unprocessableContent,
            detail: detail ?? errors.map(\.summary).joined(separator: "; "),
            errors: errors
        )
    }

    /// Throws a 400 when `invalid` has any error (naming those of `unprocessable` too, so every
    /// bad field is named at once), else a 422 for `unprocessable` when that has any.
    public static func throwIfAny(invalid: [FieldError], unprocessable: [FieldError]) throws(ProblemDetails) {
        if !invalid.isEmpty { throw validation(invalid + unprocessable) }
        if !unprocessable.isEmpty { throw Self.unprocessable(unprocessable) }
    }

    /// 400 for one invalid body field.
    public static func invalidField(_ field: String, _ detail: String) -> Self {
        validation([FieldError(field: field, detail: detail)])
    }

    /// 400 for one invalid query or path parameter.
    public static func invalidParameter(_ parameter: String, _ detail: String) -> Self {
        validation([FieldError(parameter: parameter, detail: detail)])
    }

    /// 400: the body is not parseable JSON.
    public static func malformedBody(_ detail: String) -> Self {
        .init(type: typeBase + "malformed-body", title: "The request body is not valid JSON.", status: .badRequest, detail: detail)
    }

    /// 404: the resource does not exist.
    public static func notFound(_ detail: String) -> Self {
        .init(type: typeBase + "not-found", title: "The resource was not found.", status: .notFound, detail: detail)
    }

    /// 405: the path exists but not with this method.
    public static func methodNotAllowed(_ method: String, allowed: [String]) -> Self {
        .init(
            type: typeBase + "method-not-allowed",
            title: "The method is not allowed on this resource.",
            status: .methodNotAllowed,
            detail: "\(method) is not allowed here; allowed: \(allowed.joined(separator: ", "))."
        )
    }

    /// 409: the request conflicts with the current state (e.g. a duplicate key).
    public static func conflict(_ detail: String) -> Self {
        .init(type: typeBase + "conflict", title: "The request conflicts with the current state.", status: .conflict, detail: detail)
    }

    /// 413: the body is larger than the limit.
    public static func bodyTooLarge(limit: Int) -> Self {
        .init(
            type: typeBase + "body-too-large",
            title: "The request body is too large.",
            status: .contentTooLarge,
            detail: "The body must not exceed \(limit) bytes."
        )
    }

    /// 415: the body is not JSON.
    public static func unsupportedMediaType(_ contentType: String?) -> Self {
        .init(
            type: typeBase + "unsupported-media-type",
            title: "The request body must be JSON.",
            status: .unsupportedMediaType,
            detail: "Content-Type \(contentType ?? "(none)") is not supported; send application/json."
        )
    }

    /// 500: an unexpected failure; the detail never leaks internals.
    public static func internalError() -> Self {
        .init(
            type: typeBase + "internal",
            title: "An unexpected error occurred.",
            status: .internalServerError,
            detail: "The error was logged; quote the request id when reporting it."
        )
    }

    /// 503: a dependency is unavailable.
    public static func unavailable(_ detail: String) -> Self {
        .init(type: typeBase + "unavailable", title: "The service is unavailable.", status: .serviceUnavailable, detail: detail)
    }

    /// A problem for any other HTTP status.
    public static func status(_ status: HTTPResponse.Status, detail: String? = nil) -> Self {
        .init(type: "about:blank", title: status.reasonPhrase, status: status, detail: detail)
    }
}

extension ProblemDetails {
    /// The response carrying this problem as `application/problem+json`.
    public func response(headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data(#"{"title":"An unexpected error occurred.","status":500}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json", .contentLength: String(body.count)]
        headers.append(contentsOf: extra)
        return Response(status: httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
