import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a page handler answers.
enum PageResult: Sendable {
    /// A page: its template, title and view.
    case page(String, title: String, view: any Sendable, status: HTTPResponse.Status = .ok)
    /// `303 See Other` to a path of the storefront (post-redirect-get).
    case redirect(String)
}

/// Runs a page handler: reads the visit (cookies), checks the form token of a POST before the
/// handler sees it, turns what the API refused into a page, and adds the cookies and the
/// security headers (``PageSecurity``) to every answer.
struct PageResponder: Sendable {
    let renderer: PageRenderer
    let csrf: CSRFTokens
    /// The stylesheet's and the icon's paths.
    let assets: (stylesheet: String, icon: String)

    /// The largest form body read, in bytes.
    static let maximumFormSize = 64 << 10

    func get(
        _ request: Request, _ context: EmporiumRequestContext, _ handler: (inout Visit) async throws -> PageResult
    ) async -> Response {
        var visit = Visit(request: request, context: context)
        let result: PageResult
        do {
            result = try await handler(&visit)
        } catch let error as ShopAPIError {
            result = Self.failure(error)
        } catch {
            result = Self.failure(.unavailable("\(error)"))
        }
        return respond(result, visit: visit, searchText: request.uri.queryParameters["q"].map(String.init))
    }

    func post(
        _ request: Request, _ context: EmporiumRequestContext, _ handler: (inout Visit, FormData) async throws -> PageResult
    ) async -> Response {
        var visit = Visit(request: request, context: context)
        let form: FormData
        do {
            let body = try await request.body.collect(upTo: Self.maximumFormSize)
            form = FormData(body: String(buffer: body))
        } catch {
            return respond(Self.errorPage(.contentTooLarge, "The form is too large."), visit: visit)
        }
        guard csrf.isValid(form["_csrf"], session: visit.presentedSessionID) else {
            // Nothing is called: a forged or stale form writes nothing.
            return respond(
                Self.errorPage(.forbidden, "This form has expired or did not come from this shop. Go back, reload the page and try again."),
                visit: visit)
        }
        let result: PageResult
        do {
            result = try await handler(&visit, form)
        } catch let error as ShopAPIError {
            result = Self.failure(error)
        } catch {
            result = Self.failure(.unavailable("\(error)"))
        }
        return respond(result, visit: visit)
    }

    /// The answer of `result` with the visit's cookies and the security headers.
    func respond(_ result: PageResult, visit: Visit, searchText: String? = nil) -> Response {
        var response: Response
        switch result {
        case .page(let template, let title, let view, let status):
            let chrome = Chrome(
                title: title, signedIn: visit.isSignedIn, staff: BackOfficeSection.isStaff(visit.shownPermissions),
                stylesheet: assets.stylesheet, icon: assets.icon, csrf: csrf.token(for: visit.sessionID), searchText: searchText)
            let html = renderer.render(template, chrome: chrome, view: view)
            response = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        case .redirect(let location):
            response = Response(status: .seeOther, headers: [.location: location])
        }
        // Pages differ per shopper (cart, sign-in, the form token): no cache keeps them.
        response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl
        for cookie in visit.setCookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        Self.secure(&response.headers)
        return response
    }

    /// Adds the security headers.
    static func secure(_ headers: inout HTTPFields) {
        for (name, value) in PageSecurity.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
    }

    /// The page of a call that failed.
    static func failure(_ error: ShopAPIError) -> PageResult {
        switch error {
        case .unavailable:
            return errorPage(.serviceUnavailable, "The shop cannot answer right now. Please try again in a moment.")
        case .refused(let problem) where problem.status == 401:
            return .redirect("/signin")
        case .refused(let problem) where problem.status == 404:
            return errorPage(.notFound, "There is nothing here. It may have been removed.")
        case .refused(let problem):
            return errorPage(.init(code: problem.status), problem.detail ?? problem.title)
        }
    }

    static func errorPage(_ status: HTTPResponse.Status, _ message: String) -> PageResult {
        let heading = switch status.code {
        case 403: "Not allowed"
        case 404: "Not found"
        case 503: "Unavailable"
        default: "Something went wrong"
        }
        return .page("error", title: heading, view: PageViews.Error(heading: heading, message: message), status: status)
    }
}
