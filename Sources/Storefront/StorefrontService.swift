import Crypto
import NIOHTTP1
import HTTPTypes
public import EmporiumKit
import EmporiumCore
import Foundation
import Security
public import Storage

/// The shop's web pages (`storefront`): server-rendered HTML that works without JavaScript,
/// a client of the public API like any other (docs/storefront.md), and the back office at
/// `/admin` for the shop's staff. It keeps no data: the
/// shopper's session is in their cookies, everything else in the services behind the API.
public struct StorefrontService: EmporiumService {
    public let name = "storefront"
    public let migrations: [Migration] = []
    /// The pages are not operations of the JSON API: no OpenAPI document describes them.
    public static let publicAPI = OpenAPIFragment()
    public let openAPI = Self.publicAPI
    /// The pages that are the visitor's (cart, account, orders, the back office): no cache may
    /// keep them, errors included. The browsing pages (`/`, `/search`, `/products/…`) are public
    /// for a guest without a session (``PageResponder``), the visitor's otherwise; the stylesheet
    /// and images under `/assets` are public.
    public let privatePathPrefixes = ["/cart", "/signup", "/signin", "/signout", "/checkout", "/orders", "/notifications", "/admin"]
    private let controller: StorefrontController
    private let backOffice: BackOfficeController

    /// Reads `storefront.apiURL` and `storefront.currency`, loads the templates and the stylesheet.
    /// - Throws: ``ServiceSettingError`` for a bad setting; ``StorefrontError`` for missing files.
    public static func configured(environment: ServiceEnvironment) async throws -> StorefrontService {
        let settings = try StorefrontSettings(environment.settings)
        let renderer = try await PageRenderer.load()
        let assets = try StorefrontAssets.load()
        // Form tokens are signed with a key derived from the deployment's service secret, so
        // every instance checks every other's; without one (a tool), a key of this process.
        let key = environment.credential?.derivedKey(for: "storefront.csrf") ?? .init(size: .bits256)
        let ownAddress = environment.ownAddress
        let api = ShopAPI(
            baseURL: { [configured = settings.apiURL] in configured ?? ownAddress.baseURL }, client: environment.callClient,
            timeout: settings.callTimeout, tracer: environment.tracer, logger: environment.logger)
        let responder = PageResponder(
            renderer: renderer, csrf: CSRFTokens(key: key), assets: (assets.stylesheet.path, assets.icon.path))
        let shopper = Shopper(api: api)
        return StorefrontService(
            controller: StorefrontController(responder: responder, shopper: shopper, assets: assets, currency: settings.currency),
            backOffice: BackOfficeController(responder: responder, shopper: shopper, currency: settings.currency))
    }

    private init(controller: StorefrontController, backOffice: BackOfficeController) {
        self.controller = controller
        self.backOffice = backOffice
    }

    public func addRoutes(to router: ServiceRouter) {
        controller.addRoutes(to: router)
        backOffice.addRoutes(to: router)
    }
}

/// The storefront's settings (`storefront.<key>`, docs/configuration.md).
struct StorefrontSettings: Sendable {
    /// The public API's base URL (the gateway's in a cluster); nil: this process's own address.
    var apiURL: String?
    /// The currency of prices typed into the price filter.
    var currency: String
    /// The longest one call to the API may take.
    var callTimeout: Duration

    init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        if let url = settings.string("apiURL") {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil,
                parsed.query == nil, parsed.path.isEmpty || parsed.path == "/"
            else {
                throw ServiceSettingError(key: settings.fullKey("apiURL"), reason: "must be an http(s) URL with no path, such as http://gateway:8080")
            }
            apiURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        currency = settings.string("currency") ?? "USD"
        guard Currency.isValid(currency) else {
            throw ServiceSettingError(key: settings.fullKey("currency"), reason: "'\(currency)' is not an ISO 4217 currency code")
        }
        callTimeout = try settings.seconds("callTimeout", default: .seconds(10), in: 1...120)
    }
}
