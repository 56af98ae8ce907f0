public import Foundation
public import Hummingbird
import Storage

/// Read-your-writes for the services of a process that read from a replica
/// (``ReadYourWritesWindow``): a request carrying an open window's marker, in its
/// `Emporium-Read-Primary` header or its `emporium-read-primary` cookie, runs with
/// ``ReadConsistency/primary``, so a ``ReplicatedDatabase`` serves its reads from the primary;
/// the response to a successful write opens a window (cookie and header).
///
/// Added by the runtime, once, when a service of the process has a read replica.
public struct ReadYourWritesMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let window: ReadYourWritesWindow
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - window: How long a write's window lasts.
    ///   - now: The clock (tests set their own).
    public init(window: ReadYourWritesWindow, now: @escaping @Sendable () -> Date = { Date() }) {
        self.window = window
        self.now = now
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let markers = [request.headers[ReadYourWritesWindow.header], request.cookies[ReadYourWritesWindow.cookieName]?.value]
        let consistency: ReadConsistency = window.isOpen(markers, at: now()) ? .primary : .eventual
        var response = try await ReadConsistency.$current.withValue(consistency) {
            try await next(request, context)
        }
        if ReadYourWritesWindow.opens(method: request.method, status: response.status) {
            let marker = window.marker(openedAt: now())
            response.setCookie(window.cookie(marker))
            response.headers[ReadYourWritesWindow.header] = marker
        }
        return response
    }
}
