import HTTPTypes
public import Hummingbird

/// Headers every response of the platform carries, whatever produced it (a handler, a problem, a
/// 404 or 405 of the router):
///
/// - `X-Content-Type-Options: nosniff`, so a browser never guesses a type other than the one sent;
/// - `Cache-Control: no-store` under the path prefixes of routes that answer with tokens or
///   personal data (``EmporiumService/privatePathPrefixes``), error responses included, so no
///   shared or browser cache keeps them.
///
/// Added once, outside ``ProblemMiddleware``, by the runtime.
public struct ResponseHeadersMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let privatePathPrefixes: [String]
    /// Each prefix but the root with a slash after it, made once: the paths below it start with it.
    private let privateDirectories: [String]

    /// - Parameter privatePathPrefixes: Paths (`/v1/users`) whose responses, and those of every
    ///   path below them (`/v1/users/me`), must not be stored.
    public init(privatePathPrefixes: [String]) {
        // `/` stays itself (the root page only); `/v1/users/` is `/v1/users`.
        let prefixes = privatePathPrefixes.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.privatePathPrefixes = prefixes
        self.privateDirectories = prefixes.filter { $0 != "/" }.map { $0 + "/" }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        if isPrivate(request.uri.path) { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// Whether `path` is one of the private prefixes or below one (segment-wise: `/v1/users`
    /// covers `/v1/users/me`, not `/v1/usersettings`).
    func isPrivate(_ path: String) -> Bool {
        privatePathPrefixes.contains(path) || privateDirectories.contains { path.utf8.starts(with: $0.utf8) }
    }
}
