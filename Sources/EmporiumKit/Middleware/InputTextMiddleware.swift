public import Hummingbird

/// Refuses a request whose query has a parameter name or value with a control character
/// (``InputText``, single-line rules: U+0000 and every other control character) with a 400 naming
/// the parameter, before any route reads the query.
///
/// Every route reads its query parameters after this middleware, so none of them can pass U+0000
/// to a database (PostgreSQL refuses it in text, SQLite would store it).
public struct InputTextMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var errors: [ProblemDetails.FieldError] = []
        for (name, value) in request.queryItems {
            if let detail = InputText.problem(in: name, multiLine: false) {
                errors.append(.init(parameter: name, detail: "has a name that " + detail))
            } else if let detail = InputText.problem(in: value, multiLine: false) {
                errors.append(.init(parameter: name, detail: detail))
            }
        }
        guard errors.isEmpty else { throw ProblemDetails.validation(errors) }
        return try await next(request, context)
    }
}
