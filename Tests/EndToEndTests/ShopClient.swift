import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of the shop at one base URL, as a browser or an app would be: plain HTTP, nothing
/// but what the answers say. Each request is a named step of the journey; its answer is checked
/// by the caller through ``Exchange``, whose failures name the step, the request and the answer,
/// and is recorded in the ``Transcript``.
struct ShopClient: Sendable {
    let baseURL: String
    let transcript: Transcript

    /// Sends one request of the step `step`.
    ///
    /// - Parameters:
    ///   - template: The path as the API documents it (`/v1/orders/{id}`), which the transcript
    ///     records; `parameters` fill its `{names}`.
    ///   - json: A JSON body (sent as `application/json`).
    ///   - token: An access token, sent as `Authorization: Bearer`.
    ///   - record: Whether the answer goes into the transcript now (a step that polls records its
    ///     last answer itself, with ``Exchange/record(varying:)``).
    ///   - varying: Members whose values differ from run to run, written as their type.
    func send(
        _ step: String, _ method: HTTPMethod, _ template: String, _ parameters: [String: String] = [:],
        json: String? = nil, token: String? = nil, headers: [(String, String)] = [], record: Bool = true, varying: Set<String> = []
    ) async throws -> Exchange {
        var path = template
        for (name, value) in parameters {
            path = path.replacingOccurrences(of: "{\(name)}", with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
        }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }

        let started = ContinuousClock.now
        let exchange: Exchange
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 8 << 20)
            exchange = Exchange(
                step: step, method: method.rawValue, template: template, path: path, requestBody: json, status: Int(response.status.code),
                headers: response.headers, body: Data(body.readableBytesView), transcript: transcript)
        } catch {
            throw EndToEndFailure("step \"\(step)\": \(method.rawValue) \(baseURL)\(path) got no answer: \(error)")
        }
        let elapsed = started.duration(to: .now).components
        print("e2e: \(step): \(method.rawValue) \(template) → \(exchange.status) in \(elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000) ms")
        if record { exchange.record(varying: varying) }
        return exchange
    }

    /// Sends the request of `step` every `interval` until `done` is true of its answer or
    /// `deadline` has passed, and records the last answer.
    func poll(
        _ step: String, _ method: HTTPMethod, _ template: String, _ parameters: [String: String] = [:], token: String? = nil,
        every interval: Duration = .milliseconds(200), within deadline: Duration, varying: Set<String> = [],
        until done: (Exchange) -> Bool
    ) async throws -> Exchange {
        let end = ContinuousClock.now + deadline
        while true {
            let exchange = try await send(step, method, template, parameters, token: token, record: false)
            if done(exchange) || ContinuousClock.now >= end {
                exchange.record(varying: varying)
                return exchange
            }
            try await Task.sleep(for: interval)
        }
    }
}

/// One request of a step and its answer.
struct Exchange: Sendable {
    let step: String
    let method: String
    let template: String
    let path: String
    let requestBody: String?
    let status: Int
    let headers: HTTPHeaders
    let body: Data
    let transcript: Transcript

    /// The body, when it is JSON.
    var json: JSONValue? { JSONValue.parse(body) }

    var contentType: String? { headers.first(name: "Content-Type") }

    func header(_ name: String) -> String? { headers.first(name: name) }

    /// Adds this answer as the step's line of the transcript.
    func record(varying: Set<String> = []) {
        transcript.record(
            step: step, request: "\(method) \(template)", status: String(status), contentType: contentType, body: json, varying: varying)
    }

    // MARK: Checks

    /// The failure of this step: what was expected, the request and the whole answer.
    func failure(_ expectation: String) -> EndToEndFailure {
        var request = "\(method) \(path)"
        if let requestBody { request += " \(Self.withoutPasswords(requestBody))" }
        let text = String(decoding: body.prefix(4_000), as: UTF8.self)
        return EndToEndFailure(
            "step \"\(step)\": expected \(expectation)\n  request: \(request)\n  answer: \(status) \(contentType ?? "(no content type)")\n  body: \(text.isEmpty ? "(empty)" : text)")
    }

    /// Fails the step unless `condition` holds.
    func check(_ condition: Bool, _ expectation: @autoclosure () -> String) throws {
        if !condition { throw failure(expectation()) }
    }

    /// Fails the step unless the answer has `status` and the content type a client expects of it
    /// (`application/json` for a 2xx with a body, `application/problem+json` for an error);
    /// returns the body parsed.
    @discardableResult
    func expect(_ status: Int, contentType: String? = nil) throws -> JSONValue {
        try check(self.status == status, "status \(status)")
        let type = contentType ?? (status >= 400 ? "application/problem+json" : "application/json")
        try check(self.contentType?.split(separator: ";").first.map(String.init) == type, "content type \(type)")
        guard let json else { throw failure("a JSON body") }
        if status >= 400 {
            try check(json["status"]?.int == Int64(status), "a problem whose status is \(status)")
            try check(json["title"]?.string?.isEmpty == false, "a problem with a title")
        }
        return json
    }

    /// The string at `path` (keys and indexes) of the body, or a failure naming it.
    func string(_ path: PathElement...) throws -> String {
        guard let value = try value(at: path).string else { throw failure("a string at \(Self.describe(path))") }
        return value
    }

    func int(_ path: PathElement...) throws -> Int64 {
        guard let value = try value(at: path).int else { throw failure("an integer at \(Self.describe(path))") }
        return value
    }

    func array(_ path: PathElement...) throws -> [JSONValue] {
        guard let value = try value(at: path).array else { throw failure("an array at \(Self.describe(path))") }
        return value
    }

    func money(_ path: PathElement...) throws -> Money {
        guard let value = try value(at: path).money else { throw failure("money {amount, currency} at \(Self.describe(path))") }
        return value
    }

    /// Fails unless the value at `path` is `expected`.
    func expect(_ path: PathElement..., equals expected: JSONValue) throws {
        let actual = try value(at: path)
        try check(actual == expected, "\(Self.describe(path)) to be \(expected.canonical), not \(actual.canonical)")
    }

    private func value(at path: [PathElement]) throws -> JSONValue {
        guard var value = json else { throw failure("a JSON body") }
        for element in path {
            let next: JSONValue?
            switch element {
            case .key(let key): next = value[key]
            case .index(let index): next = value[index]
            }
            guard let next else { throw failure("a member at \(Self.describe(path))") }
            value = next
        }
        return value
    }

    private static func describe(_ path: [PathElement]) -> String {
        path.map { element in
            switch element {
            case .key(let key): ".\(key)"
            case .index(let index): "[\(index)]"
            }
        }.joined()
    }

    private static func withoutPasswords(_ body: String) -> String {
        body.replacing(/"password"\s*:\s*"(\\.|[^"\\])*"/) { _ in #""password":"…""# }
    }
}

/// A step in a path into a JSON body: `"lines", 0, "sku"`.
enum PathElement: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, Sendable {
    case key(String)
    case index(Int)

    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

/// A step that did not answer as the shop documents it.
struct EndToEndFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
