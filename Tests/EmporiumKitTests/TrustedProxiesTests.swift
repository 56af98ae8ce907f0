import EmporiumKit
import Testing

@Suite("Trusted proxies and the client's address")
struct TrustedProxiesTests {
    static func proxies(_ list: String) throws -> TrustedProxies {
        try TrustedProxies.parse(list).get()
    }

    @Test func aPeerThatIsNoTrustedProxyIsTheClientWhateverItClaims() throws {
        let proxies = try Self.proxies("10.0.0.0/8")
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        #expect(TrustedProxies.none.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.1"]) == "127.0.0.1")
    }

    @Test func theClientIsTheRightmostAddressThatIsNoTrustedProxy() throws {
        let proxies = try Self.proxies("10.0.0.0/8, 127.0.0.1")
        // A client that made up an address, then the ingress (10.1.2.3) and the gateway (127.0.0.1).
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["6.6.6.6, 198.51.100.7, 10.1.2.3"]) == "198.51.100.7")
        // Several header lines are one list, in order.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["6.6.6.6", "198.51.100.7", "10.1.2.3"]) == "198.51.100.7")
        // Every hop a proxy: the leftmost.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.0.0.5, 10.9.9.9"]) == "10.0.0.5")
        // Nothing forwarded: the peer.
        #expect(proxies.clientAddress(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
    }

    @Test func anEntryThatIsNoAddressStopsAtTheNearestTrustedHop() throws {
        let proxies = try Self.proxies("127.0.0.1,10.0.0.0/8")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.7, unknown, 10.1.1.1"]) == "10.1.1.1")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["<script>"]) == "127.0.0.1")
    }

    @Test func portsAndBracketsAreNotPartOfTheAddress() throws {
        let proxies = try Self.proxies("127.0.0.1")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["198.51.100.7:51234"]) == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["[2001:db8::1]:443"]) == "2001:db8::1")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["2001:db8::1"]) == "2001:db8::1")
    }

    @Test func rangesMatchOnTheirPrefixInBothFamilies() throws {
        let proxies = try Self.proxies("192.168.0.0/16,172.16.0.0/12,fd00::/8,::1")
        #expect(proxies.trusts("192.168.200.1"))
        #expect(!proxies.trusts("192.169.0.1"))
        #expect(proxies.trusts("172.31.255.255"))
        #expect(!proxies.trusts("172.32.0.0"))
        #expect(proxies.trusts("fd12:3456::1"))
        #expect(!proxies.trusts("fe80::1"))
        #expect(proxies.trusts("::1"))
        #expect(!proxies.trusts("127.0.0.1"))
        // An IPv4-mapped IPv6 peer is its IPv4 address.
        #expect(proxies.trusts("::ffff:192.168.1.1"))
        #expect(!proxies.trusts("not an address"))
    }

    @Test(arguments: ["10.0.0.0/33", "localhost", "10.0.0.0/", "::1/129", "1.2.3", "10.0.0.0/8/8"])
    func entriesThatAreNoAddressOrRangeAreRefused(entry: String) {
        guard case .failure(let error) = TrustedProxies.parse("127.0.0.1, \(entry)") else {
            Issue.record("\(entry) was accepted")
            return
        }
        #expect(error.entry == entry)
    }
}
