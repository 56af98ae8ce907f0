import ArgumentParser
import AsyncHTTPClient
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Security
import ServiceLifecycle
import Synchronization

/// `emporium bench identity`: logins per second at a bcrypt cost, and access-token
/// verifications per second in the authentication middleware, over HTTP against an in-process
/// server with the auth and users services (SQLite in a temp folder). Prints one JSON line.
///
/// Verifications are measured as the difference between `GET /health/live` with a valid
/// `Authorization: Bearer` header (the middleware verifies it) and the same requests without
/// it, in the same run; the verifier on its own (no HTTP) is measured too.
struct IdentityBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Measure logins/s (bcrypt) and token verifications/s in the middleware (see docs/benchmarks.md)."
    )

    @Option(help: "bcrypt cost of the benchmark account's password (production default 12).")
    var cost = 12

    @Option(help: "Logins to time (after 2 warm-up logins).")
    var logins = 100

    @Option(help: "Requests per variant (with and without a token).")
    var requests = 20_000

    @Option(help: "Concurrent clients (1 to 20: more would meet the per-address login limit).")
    var concurrency = 16

    func validate() throws {
        guard (4...31).contains(cost), logins > 0, requests > 0, (1...20).contains(concurrency) else {
            throw ValidationError("--cost must be 4...31; --logins and --requests positive; --concurrency 1...20")
        }
    }

    struct Result: Codable {
        var benchmark = "identity"
        var bcryptCost: Int
        var concurrency: Int
        var loginsPerSecond: Double
        var requestsPerSecondWithoutToken: Double
        var requestsPerSecondWithToken: Double
        var verificationsPerSecondVerifierOnly: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.identity")
        logger.logLevel = .warning
        let result = try await BenchmarkServer.withEmbeddedServer(
            name: "identity", flags: ["services": "auth,users", "auth.bcryptCost": "\(cost)"], logger: logger
        ) { base, platform in
            try await measure(base: base, platform: platform)
        }
        try BenchmarkServer.printJSONLine(result)
    }

    private func measure(base: String, platform: EmporiumPlatform) async throws -> Result {
        let client = HTTPClient.shared
        let password = "a benchmark passphrase"
        // One account per concurrent client: logins are counted per account (five in flight at
        // most) and per client address (twenty) before their password is checked, and every
        // client here has the same address (see docs/security.md).
        let prefix = UUID().uuidString.prefix(8).lowercased()
        var accounts: [String] = []
        for index in 0..<concurrency {
            let credentials = #"{"email": "bench-\#(prefix)-\#(index)@example.com", "password": "\#(password)"}"#
            let registered = try await send(client, "POST", "\(base)/v1/auth/register", body: credentials)
            guard registered.status == .created else { throw ValidationError("register answered \(registered.status)") }
            accounts.append(credentials)
        }

        // Logins: each one bcrypt verification plus a session row; the clients take turns over
        // the accounts.
        _ = try await login(client, base, accounts[0])
        let token = try await login(client, base, accounts[0])
        let next = Mutex(0)
        let all = accounts
        let loginSeconds = try await timed(count: logins) {
            let index = next.withLock { value in
                defer { value += 1 }
                return value % all.count
            }
            _ = try await login(client, base, all[index])
        }

        // The middleware: the same cheap route with and without a token, alternating twice.
        let authorization = "Bearer \(token)"
        var without = Double.infinity, with = Double.infinity
        for _ in 0..<2 {
            without = min(without, try await timed(count: requests) { try await expectOK(client, "\(base)/health/live", authorization: nil) })
            with = min(with, try await timed(count: requests) { try await expectOK(client, "\(base)/health/live", authorization: authorization) })
        }

        // The verifier alone, as the in-process middleware calls it.
        let verifier = try requireAuthenticator(platform)
        _ = try await verifier.principal(for: token)
        let verifySeconds = try await timed(count: requests) { _ = try await verifier.principal(for: token) }

        return Result(
            bcryptCost: cost, concurrency: concurrency, loginsPerSecond: Double(logins) / loginSeconds,
            requestsPerSecondWithoutToken: Double(requests) / without, requestsPerSecondWithToken: Double(requests) / with,
            verificationsPerSecondVerifierOnly: Double(requests) / verifySeconds
        )
    }

    private func login(_ client: HTTPClient, _ base: String, _ credentials: String) async throws -> String {
        let response = try await send(client, "POST", "\(base)/v1/auth/login", body: credentials)
        guard response.status == .ok,
            let token = (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["accessToken"] as? String
        else { throw ValidationError("login answered \(response.status)") }
        return token
    }

    private func expectOK(_ client: HTTPClient, _ url: String, authorization: String?) async throws {
        let response = try await send(client, "GET", url, authorization: authorization)
        guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status)") }
    }

    private func send(_ client: HTTPClient, _ method: String, _ url: String, body: String? = nil, authorization: String? = nil) async throws -> (status: HTTPResponseStatus, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await client.execute(request, timeout: .seconds(30))
        return (response.status, try await response.body.collect(upTo: 1 << 20))
    }

    /// Runs `operation` `count` times from ``concurrency`` tasks; returns the seconds taken.
    private func timed(count: Int, _ operation: @escaping @Sendable () async throws -> Void) async throws -> Double {
        let remaining = Countdown(count)
        let elapsed = try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask { while remaining.take() { try await operation() } }
                }
                try await group.waitForAll()
            }
        }
        return elapsed / .seconds(1)
    }
}

/// The process's token verifier (the auth service's, in this in-process benchmark).
private func requireAuthenticator(_ platform: EmporiumPlatform) throws -> any AccessTokenAuthenticating {
    guard let authenticator = platform.services.lazy.compactMap(\.accessTokenAuthenticator).first else {
        throw ValidationError("no auth service in the benchmark process")
    }
    return authenticator
}
