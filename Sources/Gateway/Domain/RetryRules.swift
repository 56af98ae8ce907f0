import HTTPTypes

/// Which requests the gateway may send a second time, to another instance, after the first
/// attempt failed without an answer (the connection could not be made, or broke, or timed out).
///
/// Only requests that cannot have a second effect: the idempotent methods (GET, HEAD, OPTIONS,
/// PUT, DELETE) and a POST that carries an `Idempotency-Key` (the services answer a repeated key
/// with the first outcome). A request whose body was streamed to the upstream is not retried: the
/// gateway does not keep bodies, so it has nothing to send again.
public enum RetryRules {
    /// Whether a request with `method` and `headers` may be retried at all.
    public static func mayRetry(method: HTTPRequest.Method, headers: HTTPFields) -> Bool {
        switch method {
        case .get, .head, .options, .put, .delete: true
        case .post, .patch: headers[HTTPField.Name("Idempotency-Key")!].map { !$0.isEmpty } ?? false
        default: false
        }
    }
}

/// Keeps retries to a share of the traffic, so that when every instance of a service is unwell
/// the gateway does not multiply the load on them (a retry storm).
///
/// Each request deposits ``ratio`` of a token (up to ``maximumTokens``); each retry takes a whole
/// one. With the defaults, retries are at most about one for every five requests, after a
/// starting allowance of ``minimumTokens`` (so that a quiet gateway may still retry).
public struct RetryBudget: Sendable, Equatable {
    public var ratio: Double
    public var minimumTokens: Double
    public var maximumTokens: Double
    private var tokens: Double

    public init(ratio: Double = 0.2, minimumTokens: Double = 10, maximumTokens: Double = 100) {
        precondition(ratio >= 0 && minimumTokens >= 0 && maximumTokens >= minimumTokens)
        self.ratio = ratio
        self.minimumTokens = minimumTokens
        self.maximumTokens = maximumTokens
        self.tokens = minimumTokens
    }

    /// Counts a request (not a retry).
    public mutating func recordRequest() {
        tokens = min(maximumTokens, tokens + ratio)
    }

    /// Takes a token for a retry if one is left; false means: do not retry.
    public mutating func withdrawRetry() -> Bool {
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Tokens left (for tests and the metric).
    public var available: Double { tokens }
}
