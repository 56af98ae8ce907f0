public import HTTPTypes
public import Hummingbird

/// What a service registers its routes on: Hummingbird's router, with every route also recorded in
/// the process's ``RouteTable`` (for 405 answers and the OpenAPI completeness check).
///
/// Paths use `{name}` for parameters, exactly as the service's OpenAPI fragment writes them.
public struct ServiceRouter {
    private let router: EmporiumRouter
    private let table: RouteTable

    public init(router: EmporiumRouter, table: RouteTable) {
        self.router = router
        self.table = table
    }

    /// Registers `handler` for `method` requests to `path`.
    public func on(
        _ path: String,
        method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator
    ) {
        table.add(method: method.rawValue, path: path)
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Registers `handler` for `method` requests to the HTML page `path`: recorded as a page, so
    /// that no OpenAPI document is expected to describe it.
    public func page(
        _ path: String,
        method: HTTPRequest.Method,
        use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator
    ) {
        table.add(method: method.rawValue, path: path, isPage: true)
        router.on(RouterPath(path), method: method, use: handler)
    }

    public func get(_ path: String, use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator) {
        on(path, method: .get, use: handler)
    }

    public func post(_ path: String, use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator) {
        on(path, method: .post, use: handler)
    }

    public func put(_ path: String, use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator) {
        on(path, method: .put, use: handler)
    }

    public func patch(_ path: String, use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator) {
        on(path, method: .patch, use: handler)
    }

    public func delete(_ path: String, use handler: @escaping @Sendable (Request, EmporiumRequestContext) async throws -> some ResponseGenerator) {
        on(path, method: .delete, use: handler)
    }
}
