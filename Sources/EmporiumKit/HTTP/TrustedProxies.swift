#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxies whose `X-Forwarded-For` a process believes (`http.trustedProxies`): addresses and
/// CIDR ranges, IPv4 or IPv6.
///
/// The client of a request is found the way nginx's `real_ip_recursive` and Envoy's trusted hops
/// find it: when the peer is a trusted proxy, walk `X-Forwarded-For` from its right end (the
/// address the nearest proxy saw) past every trusted proxy; the first address that is not one is
/// the client. A request from anyone else keeps its peer's address, whatever it claims: a client
/// cannot choose the address that login throttling and rate limits key on.
public struct TrustedProxies: Sendable, Equatable {
    /// One address range: the network's bytes and how many leading bits must match.
    public struct Range: Sendable, Equatable, CustomStringConvertible {
        let network: [UInt8]
        let prefixLength: Int

        /// Parses `10.0.0.0/8`, `fd00::/8`, or one address (`127.0.0.1`, `::1`).
        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let bytes = IPAddressBytes.parse(parts[0]) else { return nil }
            let bits = bytes.count * 8
            var length = bits
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), (0...bits).contains(parsed) else { return nil }
                length = parsed
            }
            self.network = bytes
            self.prefixLength = length
        }

        /// Whether `address` (its bytes) lies in the range; an IPv4 address never lies in an
        /// IPv6 range, except as an IPv4-mapped IPv6 address, which is compared as IPv4.
        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var remaining = prefixLength
            for (a, n) in zip(address, network) where remaining > 0 {
                let bits = min(8, remaining)
                let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != n & mask { return false }
                remaining -= bits
            }
            return true
        }

        public var description: String {
            "\(IPAddressBytes.format(network))/\(prefixLength)"
        }
    }

    public let ranges: [Range]

    /// No proxy is trusted: every request's client is its peer.
    public static let none = TrustedProxies(ranges: [])

    public init(ranges: [Range]) {
        self.ranges = ranges
    }

    /// Parses a comma-separated list of addresses and ranges; the failure names the first entry
    /// that is neither.
    public static func parse(_ list: String) -> Result<TrustedProxies, ParseError> {
        var ranges: [Range] = []
        for entry in list.split(separator: ",") {
            let trimmed = entry.trimmingCharacters(in: " \t")
            if trimmed.isEmpty { continue }
            guard let range = Range(trimmed) else { return .failure(ParseError(entry: String(trimmed))) }
            ranges.append(range)
        }
        return .success(TrustedProxies(ranges: ranges))
    }

    /// An entry of `http.trustedProxies` that is no address or range.
    public struct ParseError: Error, Sendable {
        public let entry: String
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `address` is a trusted proxy's; false for anything that is no IP address.
    public func trusts(_ address: some StringProtocol) -> Bool {
        guard let bytes = IPAddressBytes.parse(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client's address: `peer` unless it is a trusted proxy; then the rightmost address of
    /// `forwardedFor` (every `X-Forwarded-For` value, in order) that is not a trusted proxy's.
    /// When every address is a proxy's, the leftmost; when an entry is no address (a client
    /// wrote it, or a proxy in front that is not trusted), the nearest trusted hop before it.
    public func clientAddress(peer: String, forwardedFor: [Substring]) -> String {
        guard trusts(peer) else { return peer }
        var client = peer
        for value in forwardedFor.reversed() {
            for entry in value.split(separator: ",").reversed() {
                let address = Self.address(of: entry.trimmingCharacters(in: " \t"))
                guard IPAddressBytes.parse(address) != nil else { return client }
                client = String(address)
                if !trusts(address) { return client }
            }
        }
        return client
    }

    /// An `X-Forwarded-For` entry's address without the port or brackets some proxies add
    /// (`[2001:db8::1]:443`, `192.0.2.1:51234`).
    static func address(of entry: String) -> Substring {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            return entry[entry.index(after: entry.startIndex)..<close]
        }
        if entry.filter({ $0 == ":" }).count == 1, let colon = entry.firstIndex(of: ":") {
            return entry[..<colon]
        }
        return Substring(entry)
    }
}

/// IP addresses as bytes: 4 for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address becomes its 4).
enum IPAddressBytes {
    static func parse(_ text: some StringProtocol) -> [UInt8]? {
        let string = String(text)
        if string.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, string, &address) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &address) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        var address = in_addr()
        guard inet_pton(AF_INET, string, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
