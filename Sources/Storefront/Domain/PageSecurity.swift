import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// The headers of every storefront answer (pages, redirects, assets, errors).
enum PageSecurity {
    /// Only this origin's styles, images, forms and (no) scripts; no inline script or style, no
    /// plug-ins, no framing, no `<base>`.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

    static let headers: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
}
