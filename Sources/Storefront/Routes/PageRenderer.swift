import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
import Hummingbird
import Mustache

/// The storefront's Mustache templates (`Sources/Storefront/Templates`, beside the binary as
/// `emporium_Storefront.resources`), rendered into answers with the security headers.
///
/// Every value is written with `{{ }}`, which escapes HTML; no template uses `{{{ }}}`.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// The page names every template folder must have.
    static let pages = [
        "home", "search", "product", "cart", "signup", "signin", "checkout", "orders", "order", "notifications", "error",
        "admin", "admin-products", "admin-product", "admin-orders", "admin-order", "admin-users", "admin-user", "admin-audit",
    ]

    init(library: MustacheLibrary) {
        self.library = library
    }

    /// Loads the shipped templates.
    /// - Throws: ``StorefrontError`` when they are missing or one does not parse.
    static func load() async throws -> PageRenderer {
        guard let folder = shippedFolder("Templates", containing: "home.mustache") else {
            throw StorefrontError(description: "the storefront's templates (emporium_Storefront.resources beside the binary) are missing")
        }
        let library: MustacheLibrary
        do {
            library = try await MustacheLibrary(directory: folder)
        } catch let error as MustacheLibrary.ParserError {
            throw StorefrontError(description: "the template '\(error.filename)' does not parse: \(error.error) at line \(error.context.lineNumber)")
        }
        for page in pages where library.getTemplate(named: page) == nil {
            throw StorefrontError(description: "the template '\(page).mustache' is missing")
        }
        return PageRenderer(library: library)
    }

    /// The page `name` for `view` under the site's chrome (header, footer).
    func render(_ name: String, chrome: Chrome, view: Any) -> String {
        library.render(PageContext(chrome: chrome, page: view), withTemplate: name) ?? ""
    }

    /// A folder of this target's resources: beside the binary (a release, an image), else in the
    /// source tree this was built from (tests, `swift run`).
    static func shippedFolder(_ name: String, containing file: String) -> String? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(executable.appendingPathComponent("emporium_Storefront.resources/\(name)"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(name))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(file).path) }?.path
    }
}

/// What every page's header and footer show.
struct Chrome: Sendable {
    var title: String
    var signedIn: Bool
    /// Whether to show the link to the back office (``BackOfficeSection/isStaff(_:)``).
    var staff: Bool
    /// The paths of the stylesheet and the icon (content-hashed names).
    var stylesheet: String
    var icon: String
    /// The form token of the visitor's session (``CSRFTokens``).
    var csrf: String
    var searchText: String?
}

/// The object a page template is rendered with: `{{#chrome}}` for the header, `{{#page}}` for
/// the page's own view.
struct PageContext {
    var chrome: Chrome
    var page: Any
}

/// The storefront cannot start.
struct StorefrontError: Error, CustomStringConvertible {
    var description: String
}
