public import HTTPTypes

/// An error that, once ``ProblemMiddleware`` renders it as the problem it would be alone, carries
/// extra answer headers: a middleware that adds headers to every answer (CORS) adds them to
/// answers to errors thrown below it this way.
public struct ErrorWithHeaders: Error {
    public let error: any Error
    public let headers: HTTPFields

    public init(_ error: any Error, headers: HTTPFields) {
        self.error = error
        self.headers = headers
    }
}
