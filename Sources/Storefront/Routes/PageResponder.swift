import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a page handler answers.
enum PageResult: Sendable {
    /// A page: its template, title and view; the surrogate keys of what a public page shows,
    /// besides its route's (``EdgeCachePolicy``: `product-<id>`, `category-<id>`).
    case page(String, title: String, view: any Sendable, status: HTTPResponse.Status = .ok, surrogateKeys: [String] = [])
    /// `303 See Other` to a path of the storefront (post-redirect-get).
    case redirect(String)
}

/// Runs a page handler: reads the visit (cookies), checks the form token of a POST (or for a
/// guest without a session, where the form came from: ``FormOrigin``) before the handler sees
/// it, turns what the API refused into a page, and adds the cookies and the security headers
/// (``PageSecurity``) to every answer.
///
/// A guest's public page (a route of ``EdgeCachePolicy/publicRoutes``, asked without any of the
/// shop's cookies, answered 200 without setting one) is the same for every such guest: it carries
/// no form token and starts no session, and the platform marks it cacheable by shared caches.
/// Every other page starts the visitor's session for its forms and is `private, no-store`.
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
        let shared = EdgeCachePolicy.publicRoutes[context.endpointPath ?? ""] != nil
        return respond(result, visit: visit, searchText: request.uri.queryParameters["q"].map(String.init), shareable: shared)
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
        guard isFromThisShop(request, context: context, form: form, visit: visit) else {
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

    /// Whether a posted form may act for the visitor: with a session, its token
    /// (``CSRFTokens``); a guest without one (nothing to act for but a cart), where it came from.
    func isFromThisShop(_ request: Request, context: EmporiumRequestContext, form: FormData, visit: Visit) -> Bool {
        if let session = visit.presentedSessionID { return csrf.isValid(form["_csrf"], session: session) }
        guard !visit.isSignedIn else { return false }
        let host = context.peerIsTrustedProxy ? request.headers[.xForwardedHost] ?? request.head.authority : request.head.authority
        return FormOrigin.isSameOrigin(fetchSite: request.headers[.secFetchSite], origin: request.headers[.origin], host: host)
    }

    /// The answer of `result` with the visit's cookies and the security headers.
    /// - Parameter shareable: Whether the route is a public page (``EdgeCachePolicy``): for a
    ///   guest who brought none of the shop's cookies, answered without setting one, the page
    ///   carries no form token and no session starts.
    func respond(_ result: PageResult, visit: Visit, searchText: String? = nil, shareable: Bool = false) -> Response {
        var visit = visit
        var response: Response
        switch result {
        case .page(let template, let title, let view, let status, let surrogateKeys):
            let shared = shareable && status == .ok && visit.isAnonymous && visit.setCookies.isEmpty
            let chrome = Chrome(
                title: title, signedIn: visit.isSignedIn, staff: BackOfficeSection.isStaff(visit.shownPermissions),
                stylesheet: assets.stylesheet, icon: assets.icon, csrf: shared ? "" : csrf.token(for: visit.startSession()), searchText: searchText)
            let html = renderer.render(template, chrome: chrome, view: view)
            response = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
            if shared, !surrogateKeys.isEmpty { response.headers[.surrogateKey] = SurrogateKey.surrogateKeyHeader(surrogateKeys) }
            // The same for every such guest: the platform's edge-cache policy makes it public.
            if !shared { response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl }
        case .redirect(let location):
            response = Response(status: .seeOther, headers: [.location: location])
            // Pages differ per shopper (cart, sign-in, the form token): no cache keeps them.
            response.headers[.cacheControl] = EdgeCachePolicy.privateCacheControl
        }
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
