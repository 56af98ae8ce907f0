import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// A browser without JavaScript for the storefront's tests: plain GETs and form posts over
/// HTTP, a cookie jar, redirects followed as a browser does (303 → GET), and the form token
/// (`_csrf`) of the last page sent with the next form.
final class Browser: Sendable {
    struct Page: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var html: String
        /// The path of this page (after redirects).
        var path: String
        /// `Set-Cookie` values of every answer on the way to it.
        var setCookies: [String]
    }

    private let base: String
    private let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(60))))
    private let state = Mutex<(cookies: [String: String], lastHTML: String)>(([:], ""))

    init(base: String) {
        self.base = base
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    var cookies: [String: String] { state.withLock { $0.cookies } }

    /// Drops a cookie (as if it expired).
    func forget(_ name: String) {
        state.withLock { _ = $0.cookies.removeValue(forKey: name) }
    }

    /// The form token of the last page, nil when it had none.
    var csrf: String? {
        Self.first(#"name="_csrf" value="([^"]*)""#, in: state.withLock { $0.lastHTML })
    }

    func get(_ path: String) async throws -> Page {
        try await send(.GET, path, body: nil, seen: [])
    }

    /// Where a form post says it comes from, as browsers say it (`Sec-Fetch-Site`, `Origin`).
    enum Source: Sendable {
        /// A page of the shop: `Sec-Fetch-Site: same-origin` and the shop's `Origin`.
        case shop
        /// A page of another site: `Sec-Fetch-Site: cross-site` and its `Origin`.
        case otherSite
        /// Neither header (an old client).
        case unsaid
    }

    /// Posts `fields` as a form, with the last page's `_csrf` unless `csrf` is false, from a
    /// page of the shop unless `source` says otherwise.
    func post(_ path: String, _ fields: [(String, String)], csrf: Bool = true, from source: Source = .shop) async throws -> Page {
        var all = fields
        if csrf, let token = self.csrf { all.append(("_csrf", token)) }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = all.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return try await send(.POST, path, body: body, seen: [], source: source)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: String?, seen: [String], source: Source = .shop) async throws -> Page {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if method == .POST {
            switch source {
            case .shop:
                request.headers.add(name: "Sec-Fetch-Site", value: "same-origin")
                request.headers.add(name: "Origin", value: base)
            case .otherSite:
                request.headers.add(name: "Sec-Fetch-Site", value: "cross-site")
                request.headers.add(name: "Origin", value: "https://elsewhere.example")
            case .unsaid:
                break
            }
        }
        let jar = cookies
        if !jar.isEmpty { request.headers.add(name: "Cookie", value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let setCookies = response.headers["Set-Cookie"]
        state.withLock { state in
            for cookie in setCookies {
                let pair = cookie.split(separator: ";").first ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                if cookie.contains("Max-Age=0") { state.cookies[String(parts[0])] = nil } else { state.cookies[String(parts[0])] = String(parts[1]) }
            }
        }
        if [301, 302, 303].contains(response.status.code), let location = response.headers.first(name: "Location"), seen.count < 5 {
            var next = try await send(.GET, location, body: nil, seen: seen + [path])
            next.setCookies = setCookies + next.setCookies
            return next
        }
        let html = String(buffer: bytes)
        if response.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true { state.withLock { $0.lastHTML = html } }
        return Page(status: Int(response.status.code), headers: response.headers, html: html, path: path, setCookies: setCookies)
    }

    /// The first capture group of `pattern` in `text`.
    static func first(_ pattern: String, in text: String) -> String? {
        all(pattern, in: text).first
    }

    /// Every first capture group of `pattern` in `text`.
    static func all(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}

/// The accessibility basics a page must have (axe-core is not available here): `lang` on
/// `<html>`, one `<h1>`, an `alt` on every image, a `<label for>` for every input and select
/// that is not hidden.
enum AccessibilityBasics {
    static func problems(_ html: String) -> [String] {
        var problems: [String] = []
        if Browser.first(#"<html[^>]* lang="([a-z]{2}[^"]*)""#, in: html) == nil { problems.append("no lang on <html>") }
        let h1s = Browser.all(#"(<h1)[ >]"#, in: html).count
        if h1s != 1 { problems.append("\(h1s) <h1> elements") }
        for image in Browser.all(#"(<img[^>]*>)"#, in: html) where Browser.first(#" alt="([^"]+)""#, in: image) == nil {
            problems.append("an image without alt: \(image)")
        }
        let labels = Set(Browser.all(#"<label[^>]* for="([^"]+)""#, in: html))
        for control in Browser.all(#"(<(?:input|select|textarea)[^>]*>)"#, in: html) where !control.contains(#"type="hidden""#) {
            guard let id = Browser.first(#" id="([^"]+)""#, in: control), labels.contains(id) else {
                problems.append("a control without a label: \(control)")
                continue
            }
        }
        return problems
    }
}
