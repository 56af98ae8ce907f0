import EmporiumKit
import Foundation
import HTTPTypes

/// The headers of a request the gateway passes on, and of the answer it passes back.
///
/// Hop-by-hop headers (RFC 9110 §7.6.1: `Connection` and the headers it names, `Keep-Alive`,
/// `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`) concern one connection and are
/// not passed on; nor is `Content-Length` of a request (set from the body passed on). (`Host` is
/// not a header field here but the request's authority; the client sets the instance's.)
///
/// The gateway adds its peer's address to `X-Forwarded-For` (after any the request carried: the
/// services believe those only past proxies they trust, see ``TrustedProxies``), and sets
/// `X-Forwarded-Proto` and `X-Forwarded-Host`, keeping those a trusted proxy in front sent.
public enum ForwardedHeaders {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// The headers to send upstream for a request with `headers` and `authority` (its `Host`)
    /// from `peerAddress`, a trusted proxy's or not.
    public static func upstreamRequest(
        _ headers: HTTPFields, authority: String?, peerAddress: String, peerIsTrustedProxy: Bool, scheme: String = "http"
    ) -> HTTPFields {
        let named = Self.namedByConnection(headers)
        var forwarded = HTTPFields()
        for field in headers {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || named.contains(name) || name == "content-length" { continue }
            if name == "x-forwarded-for" || name == "x-forwarded-proto" || name == "x-forwarded-host" { continue }
            forwarded.append(field)
        }
        let previous = headers[values: .xForwardedFor].joined(separator: ", ")
        forwarded[.xForwardedFor] = previous.isEmpty ? peerAddress : "\(previous), \(peerAddress)"
        let fromProxy = peerIsTrustedProxy ? headers : [:]
        forwarded[.xForwardedProto] = fromProxy[.xForwardedProto] ?? scheme
        if let host = fromProxy[.xForwardedHost] ?? authority { forwarded[.xForwardedHost] = host }
        return forwarded
    }

    /// The headers of an upstream answer to pass back to the client.
    public static func downstreamResponse(_ headers: HTTPFields) -> HTTPFields {
        let named = Self.namedByConnection(headers)
        var passed = HTTPFields()
        for field in headers {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || named.contains(name) { continue }
            passed.append(field)
        }
        return passed
    }

    /// The header names listed in `Connection` (lowercased).
    static func namedByConnection(_ headers: HTTPFields) -> Set<String> {
        Set(headers[values: .connection].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }
}
