import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Testing

/// The read-your-writes rule: which responses open a window, which markers are in force.
@Suite struct ReadYourWritesWindowTests {
    let window = ReadYourWritesWindow(seconds: 5)
    let now = Date(timeIntervalSince1970: 1_800_000_000.7)

    @Test func successfulWritesOpenAWindow() {
        for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
            #expect(ReadYourWritesWindow.opens(method: method, status: .ok), "\(method)")
            #expect(ReadYourWritesWindow.opens(method: method, status: .created), "\(method)")
            #expect(ReadYourWritesWindow.opens(method: method, status: .noContent), "\(method)")
        }
    }

    @Test func readsAndRefusedWritesOpenNone() {
        for method in [HTTPRequest.Method.get, .head, .options] {
            #expect(!ReadYourWritesWindow.opens(method: method, status: .ok), "\(method)")
        }
        for status in [HTTPResponse.Status.notModified, .badRequest, .conflict, .preconditionFailed, .internalServerError, .serviceUnavailable] {
            #expect(!ReadYourWritesWindow.opens(method: .post, status: status), "\(status)")
        }
    }

    @Test func theMarkerIsWhenTheWindowEnds() {
        #expect(window.marker(openedAt: now) == "1800000005")
    }

    @Test func aMarkerIsInForceUntilItsEnd() {
        let marker = window.marker(openedAt: now)
        #expect(window.isOpen([marker], at: now))
        #expect(window.isOpen([marker], at: now.addingTimeInterval(4)))
        #expect(!window.isOpen([marker], at: now.addingTimeInterval(5)), "the window has ended")
        #expect(!window.isOpen([marker], at: now.addingTimeInterval(3600)))
    }

    @Test func anyOneOpenMarkerIsEnough() {
        let marker = window.marker(openedAt: now)
        #expect(window.isOpen([nil, marker], at: now), "the cookie without the header")
        #expect(window.isOpen(["1700000000", marker], at: now), "an old header beside a fresh cookie")
        #expect(!window.isOpen([nil, nil], at: now))
        #expect(!window.isOpen([], at: now))
    }

    @Test func malformedOrFarFutureMarkersAreIgnored() {
        for marker in ["", "soon", "1800000003.5", "-1", "0x6b49d205", String(Int.max) + "0"] {
            #expect(!window.isOpen([marker], at: now), "\(marker)")
        }
        // Another instance's clock may run ahead, by up to the allowed skew.
        let ahead = String(1_800_000_000 + 5 + ReadYourWritesWindow.clockSkew)
        #expect(window.isOpen([ahead], at: now))
        #expect(!window.isOpen([String(1_800_000_000 + 6 + ReadYourWritesWindow.clockSkew)], at: now), "not one this rule made")
    }

    @Test func theCookieLastsTheWindowOnEveryPathOutOfScriptsReach() {
        let cookie = window.cookie("1800000005")
        #expect(cookie.name == "emporium-read-primary")
        #expect(cookie.value == "1800000005")
        #expect(cookie.maxAge == 5)
        #expect(cookie.path == "/")
        #expect(cookie.httpOnly)
        #expect(cookie.sameSite == .lax)
    }
}

/// The middleware: the consistency handlers run with, and the marker of a write's response.
@Suite struct ReadYourWritesMiddlewareTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A router whose routes answer with the consistency they ran with.
    func withRouter(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = EmporiumRouter(context: EmporiumRequestContext.self)
        router.add(middleware: ReadYourWritesMiddleware(window: ReadYourWritesWindow(seconds: 5), now: { Self.now }))
        router.get("/things") { _, _ in "\(ReadConsistency.current)" }
        router.post("/things") { _, _ in Response(status: .created) }
        router.patch("/things") { _, _ -> Response in throw HTTPError(.conflict) }
        try await Application(router: router).test(.router, test)
    }

    @Test func aReadWithoutAMarkerMayUseTheReplica() async throws {
        try await withRouter { client in
            try await client.execute(uri: "/things", method: .get) { response in
                #expect(String(buffer: response.body) == "eventual")
                #expect(response.headers[.setCookie] == nil)
                #expect(response.headers[ReadYourWritesWindow.header] == nil)
            }
        }
    }

    @Test func aSuccessfulWriteSetsTheMarker() async throws {
        try await withRouter { client in
            try await client.execute(uri: "/things", method: .post) { response in
                #expect(response.status == .created)
                #expect(response.headers[ReadYourWritesWindow.header] == "1800000005")
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.hasPrefix("emporium-read-primary=1800000005"))
                for attribute in ["Max-Age=5", "Path=/", "HttpOnly", "SameSite=Lax"] {
                    #expect(cookie.contains(attribute), "\(attribute) in \(cookie)")
                }
            }
        }
    }

    @Test func aRefusedWriteSetsNone() async throws {
        try await withRouter { client in
            try await client.execute(uri: "/things", method: .patch) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.setCookie] == nil)
                #expect(response.headers[ReadYourWritesWindow.header] == nil)
            }
        }
    }

    @Test func aReadCarryingAnOpenMarkerUsesThePrimary() async throws {
        try await withRouter { client in
            for headers: HTTPFields in [
                [.cookie: "theme=dark; emporium-read-primary=1800000003"],
                [ReadYourWritesWindow.header: "1800000003"],
            ] {
                try await client.execute(uri: "/things", method: .get, headers: headers) { response in
                    #expect(String(buffer: response.body) == "primary", "\(headers)")
                }
            }
            try await client.execute(uri: "/things", method: .get, headers: [.cookie: "emporium-read-primary=1800000000"]) { response in
                #expect(String(buffer: response.body) == "eventual", "a window that has ended")
            }
        }
    }
}
