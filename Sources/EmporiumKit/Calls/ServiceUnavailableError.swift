import HTTPTypes

/// A call to another service that did not get an answer the caller can use: the callee is down,
/// slow, refused the call's credential, or answered with an error of its own.
///
/// Callers let it propagate: the request that needed the callee becomes a 503 problem naming it
/// (never a hang, never a 500), and works again when the callee is back.
public struct ServiceUnavailableError: Error, Sendable, CustomStringConvertible {
    /// The callee (`catalog`).
    public var service: String
    /// What went wrong, for logs and the problem's detail (never a secret).
    public var reason: String

    public init(service: String, reason: String) {
        self.service = service
        self.reason = reason
    }

    public var description: String { "the \(service) service is unavailable: \(reason)" }
}

extension ServiceUnavailableError: ProblemConvertible {
    public var problem: ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "service-unavailable",
            title: "A service this request needs is unavailable.",
            status: .serviceUnavailable,
            detail: "The \(service) service is unavailable (\(reason)); try again shortly."
        )
    }
}
