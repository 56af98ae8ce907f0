import AsyncHTTPClient
import EmporiumKit
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Posts a CloudEvent to a webhook URL, signed (``WebhookSignature``), after checking every
/// address the host resolves to (``WebhookTarget``) unless private addresses are allowed.
/// Redirects are not followed (one could lead inside the network).
struct WebhookSender: Sendable {
    let client: WebhookHTTPClient
    let timeout: Duration
    let allowPrivateAddresses: Bool

    /// The outcome of posting `body` (the CloudEvent) as delivery `id` to `url` with `secret`.
    func post(_ body: Data, id: String, to url: String, secret: String, now: Date = .now) async -> DeliveryOutcome {
        let components: URLComponents
        do {
            components = try WebhookTarget.validate(url)
        } catch {
            return .failed("the URL is not usable: \(error.detail ?? "invalid")")
        }
        if !allowPrivateAddresses {
            let host = WebhookTarget.host(of: components)
            let addresses: [String]
            do {
                addresses = try await Self.resolve(host)
            } catch {
                return .retry("could not resolve \(host): \(error)")
            }
            for address in addresses {
                if let refusal = WebhookTarget.refusal(ofAddress: address) {
                    return .failed("\(host) resolves to \(address), which \(refusal); webhooks go only to public addresses")
                }
            }
        }
        guard let key = WebhookSignature.key(of: secret) else { return .failed("the subscription's secret is not usable") }
        let timestamp = Int64(now.timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json")
        request.headers.add(name: "User-Agent", value: "Emporium-Webhooks/1")
        request.headers.add(name: WebhookSignature.idHeader, value: id)
        request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
        request.headers.add(name: WebhookSignature.signatureHeader, value: WebhookSignature.sign(key: key, id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(data: body))
        do {
            let response = try await client.client.execute(request, timeout: .init(timeout))
            // Only the status matters; a little of the body for the record.
            let answer = try? await response.body.collect(upTo: 1_024)
            switch response.status.code {
            case 200..<300: return .sent
            case 410: return .failed("the receiver answered 410 Gone")
            default:
                let text = answer.map { String(buffer: $0).prefix(200) } ?? ""
                return .retry("the receiver answered \(response.status.code)" + (text.isEmpty ? "" : ": \(text)"))
            }
        } catch {
            return .retry("the request failed: \(error)")
        }
    }

    /// The addresses `host` resolves to (an address literal is itself).
    static func resolve(_ host: String) async throws -> [String] {
        if WebhookTarget.isAddressLiteral(host) { return [host] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0, let first = list else { throw ResolutionError(host: host, code: status) }
            defer { freeaddrinfo(first) }
            var addresses: [String] = []
            var next: UnsafeMutablePointer<addrinfo>? = first
            while let entry = next {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
                next = entry.pointee.ai_next
            }
            return addresses
        }
    }

    struct ResolutionError: Error, CustomStringConvertible {
        var host: String
        var code: Int32
        var description: String { "no address for \(host) (\(String(cString: gai_strerror(code))))" }
    }
}

/// The HTTP client of webhook deliveries, made at the first delivery (a process that never sends
/// one, such as a maintenance command, opens nothing) and shut down with the process. It does
/// not follow redirects.
final class WebhookHTTPClient: Sendable {
    private let made = Mutex<HTTPClient?>(nil)
    private let timeout: Duration

    init(timeout: Duration) {
        self.timeout = timeout
    }

    var client: HTTPClient {
        made.withLock { made in
            if let made { return made }
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(timeout.components.seconds)))
            let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
            made = client
            return client
        }
    }

    /// Shuts the client down, when one was made.
    func shutdown() async throws {
        guard let client = made.withLock({ $0 }) else { return }
        try await client.shutdown()
    }
}

/// Shuts the webhook client down when the process stops.
struct WebhookClientCloser: Service {
    let client: WebhookHTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
