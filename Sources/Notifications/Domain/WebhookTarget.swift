import EmporiumKit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules of webhook URLs: http(s) only, no credentials in the URL, and (unless allowed)
/// never an address inside the shop's network: loopback, private, link-local, carrier-grade
/// NAT, multicast or reserved (server-side request forgery). Without I/O: the caller resolves
/// host names and asks about each address.
public enum WebhookTarget {
    public static let maximumURLLength = 2_048

    /// The URL's parts, or why it is refused.
    /// - Throws: a 400 problem naming `url` when it is too long or not visible ASCII (what the
    ///   OpenAPI document states), else a 422 naming it (what the
    ///   OpenAPI document cannot state: a host, no credentials, no fragment).
    public static func validate(_ text: String) throws(ProblemDetails) -> URLComponents {
        guard text.count <= maximumURLLength else { throw ProblemDetails.invalidField("url", "must be at most \(maximumURLLength) characters") }
        guard text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw ProblemDetails.invalidField("url", "must be visible ASCII: percent-encode spaces and other characters")
        }
        func refuse(_ detail: String) -> ProblemDetails { ProblemDetails.unprocessable([.init(field: "url", detail: detail)]) }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme)
        else { throw refuse("must be an absolute http or https URL") }
        guard let host = components.host, !host.isEmpty else { throw refuse("must name a host") }
        guard components.user == nil, components.password == nil else {
            throw refuse("must not carry credentials; the signature authenticates the sender")
        }
        guard components.fragment == nil else { throw refuse("must not have a fragment") }
        if let port = components.port, !(1...65_535).contains(port) { throw refuse("has no valid port") }
        return components
    }

    /// The host of `components` without the brackets of an IPv6 literal.
    public static func host(of components: URLComponents) -> String {
        let host = components.host ?? ""
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// Why `address` (an IPv4 or IPv6 literal) may not receive webhooks, or nil when it is a
    /// public address. Text that is not an address is refused.
    public static func refusal(ofAddress address: String) -> String? {
        if let v4 = ipv4(address) { return refusal(ipv4: v4) }
        if let v6 = ipv6(address) { return refusal(ipv6: v6) }
        return "is not an IP address"
    }

    /// Whether `host` is an IP literal (then it needs no resolution).
    public static func isAddressLiteral(_ host: String) -> Bool {
        ipv4(host) != nil || ipv6(host) != nil
    }

    private static func refusal(ipv4 a: [UInt8]) -> String? {
        switch (a[0], a[1]) {
        case (0, _): "is an unspecified or 'this network' address"
        case (10, _), (172, 16...31), (192, 168): "is a private address"
        case (100, 64...127): "is a carrier-grade NAT address"
        case (127, _): "is a loopback address"
        case (169, 254): "is a link-local address"
        case (192, 0) where a[2] == 0: "is an IETF protocol address"
        case (198, 18...19): "is a benchmarking address"
        case (224...239, _): "is a multicast address"
        case (240...255, _): "is a reserved or broadcast address"
        default: nil
        }
    }

    private static func refusal(ipv6 a: [UInt8]) -> String? {
        if a.allSatisfy({ $0 == 0 }) { return "is the unspecified address" }
        if a[0..<15].allSatisfy({ $0 == 0 }) && a[15] == 1 { return "is a loopback address" }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d):
        // judged by the IPv4 address inside.
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xff && a[11] == 0xff { return refusal(ipv4: Array(a[12..<16])) }
        if a[0..<12].allSatisfy({ $0 == 0 }) { return refusal(ipv4: Array(a[12..<16])) }
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b { return refusal(ipv4: Array(a[12..<16])) }
        if a[0] & 0xfe == 0xfc { return "is a unique local (private) address" }
        if a[0] == 0xfe && a[1] & 0xc0 == 0x80 { return "is a link-local address" }
        if a[0] == 0xfe && a[1] & 0xc0 == 0xc0 { return "is a site-local address" }
        if a[0] == 0xff { return "is a multicast address" }
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8 { return "is a documentation address" }
        return nil
    }

    private static func ipv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
