import EmporiumKit
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

/// ``RequestBodyTimeoutHandler`` on an embedded channel, its clock advanced by hand. The tests are
/// synchronous: an embedded event loop must stay on one thread.
@Suite("Request body timeout")
struct RequestBodyTimeoutHandlerTests {
    static let timeout = TimeAmount.seconds(5)

    /// A connected channel with the handler and a request head with a body to come.
    static func channelReadingABody() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RequestBodyTimeoutHandler(timeout: timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: "test", path: "/v1/things")))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{\"na")))
        return channel
    }

    /// The inbound parts the application was given, in order.
    static func inbound(_ channel: EmbeddedChannel) throws -> [HTTPRequestPart] {
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        return parts
    }

    /// Body bytes arriving do not reset the clock: past the deadline the client gets a 408
    /// problem, the application's body read fails with ``RequestBodyTimeout``, the connection
    /// closes, and what the application answers later is dropped.
    @Test func slowBodyIsAnswered408() throws {
        let channel = try Self.channelReadingABody()
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "me\"")))
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))

        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response head")
            return
        }
        #expect(head.status == .requestTimeout)
        #expect(head.headerFields[.contentType] == "application/problem+json")
        #expect(head.headerFields[.connection] == "close")
        guard case .body(let body) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response body")
            return
        }
        #expect(String(buffer: body).contains(#""status":408"#))
        #expect(head.headerFields[.contentLength] == String(body.readableBytes))
        guard case .end = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response end")
            return
        }
        #expect(!channel.isActive, "the connection is closed")
        #expect(throws: RequestBodyTimeout.self) { try channel.throwIfErrorCaught() }
        #expect(try Self.inbound(channel).count == 3, "the head and the two body parts reached the application")
    }

    /// A body that ends in time stops the clock: a response computed long after is not cut.
    @Test func bodyInTimeIsNeverCut() throws {
        let channel = try Self.channelReadingABody()
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) != nil, "the late response goes out")
        _ = try channel.finish()
    }

    /// When the application has already started answering, the deadline closes the connection
    /// without a second answer.
    @Test func startedResponseIsClosedNotAnswered() throws {
        let channel = try Self.channelReadingABody()
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        channel.embeddedEventLoop.advanceTime(by: Self.timeout)
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response head")
            return
        }
        #expect(head.status == .ok)
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil, "no 408 after a started response")
        #expect(!channel.isActive)
        #expect(throws: RequestBodyTimeout.self) { try channel.throwIfErrorCaught() }
    }
}
