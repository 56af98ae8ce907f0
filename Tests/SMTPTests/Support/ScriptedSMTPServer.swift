import NIOCore
import NIOPosix
import SMTP
import Synchronization

/// A stand-in SMTP server on loopback that answers each command with whatever the script
/// returns, for behaviour a real server will not show on demand (no EHLO, silence, a greeting
/// refusal, bytes injected after STARTTLS, a SIZE limit). Only for unit tests.
final class ScriptedSMTPServer: Sendable {
    /// What the client sent: a command line, or a whole message after `DATA`.
    enum Input: Sendable, Equatable {
        case command(String)
        case message(String)
    }

    /// What to send back.
    enum Response: Sendable {
        /// These lines (CRLF is added after each).
        case lines([String])
        /// These lines, after a pause.
        case delayed(Duration, String)
        /// These raw bytes.
        case bytes(String)
        /// Nothing at all.
        case silence
        /// Close the connection without a word.
        case close

        /// These lines (CRLF is added after each).
        static func reply(_ lines: String...) -> Response { .lines(lines) }
    }

    let port: Int
    private let channel: any Channel
    private let received = Mutex<[Input]>([])
    private let connectionCount = Atomic<Int>(0)

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Starts a server on a free loopback port that greets with `greeting` and answers with
    /// `script`, which may fall back to ``standard(_:)``.
    static func start(
        greeting: Response = .reply("220 scripted.test ESMTP"),
        script: @escaping @Sendable (Input) -> Response = standard
    ) async throws -> ScriptedSMTPServer {
        let box = Mutex<ScriptedSMTPServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let server = box.withLock { $0 }
                    server?.connectionCount.wrappingAdd(1, ordering: .relaxed)
                    try child.pipeline.syncOperations.addHandler(
                        Handler(greeting: greeting, script: script) { input in
                            server?.received.withLock { $0.append(input) }
                        }
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = ScriptedSMTPServer(channel: channel, port: channel.localAddress!.port!)
        box.withLock { $0 = server }
        return server
    }

    /// A well-behaved server: EHLO with a few extensions, 250 for the envelope, 354 for DATA,
    /// 221 and close for QUIT.
    static func standard(_ input: Input) -> Response {
        switch input {
        case .message:
            return .reply("250 2.0.0 queued as SCRIPTED")
        case .command(let line):
            let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
            switch verb {
            case "EHLO": return .reply("250-scripted.test", "250-8BITMIME", "250 SIZE 1000000")
            case "HELO": return .reply("250 scripted.test")
            case "DATA": return .reply("354 end data with <CR><LF>.<CR><LF>")
            case "QUIT": return .reply("221 2.0.0 bye")
            default:
                if verb.hasPrefix("MAIL") || verb.hasPrefix("RCPT") || verb == "RSET" || verb == "NOOP" {
                    return .reply("250 2.0.0 ok")
                }
                return .reply("502 5.5.2 command not recognized")
            }
        }
    }

    /// Everything received so far.
    var inputs: [Input] { self.received.withLock { $0 } }

    /// The command lines received so far.
    var commands: [String] {
        self.inputs.compactMap { if case .command(let line) = $0 { line } else { nil } }
    }

    /// How many connections were accepted.
    var connections: Int { self.connectionCount.load(ordering: .relaxed) }

    /// A configuration pointing at this server, in plain text.
    func configuration() -> SMTPConfiguration {
        var configuration = SMTPConfiguration(host: "127.0.0.1", port: self.port, security: .plaintext, clientName: "client.test")
        configuration.commandTimeout = .seconds(5)
        configuration.pool = SMTPConfiguration.Pool(maximumConnections: 1, leaseTimeout: .seconds(5))
        return configuration
    }

    /// Stops listening (open connections stay until the client closes them).
    func stop() async {
        try? await self.channel.close()
    }

    /// One connection: splits the bytes into lines, collects messages after DATA, answers.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let greeting: Response
        private let script: @Sendable (Input) -> Response
        private let record: @Sendable (Input) -> Void
        private var pending: [UInt8] = []
        private var messageLines: [String]?

        init(greeting: Response, script: @escaping @Sendable (Input) -> Response, record: @escaping @Sendable (Input) -> Void) {
            self.greeting = greeting
            self.script = script
            self.record = record
        }

        func channelActive(context: ChannelHandlerContext) {
            self.respond(self.greeting, context: context)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.pending += self.unwrapInboundIn(data).readableBytesView
            while let end = self.lineEnd() {
                let line = String(decoding: self.pending[..<end], as: UTF8.self)
                self.pending.removeFirst(end + 2)
                self.handle(line, context: context)
            }
        }

        private func lineEnd() -> Int? {
            guard self.pending.count >= 2 else { return nil }
            return (0..<(self.pending.count - 1)).first { self.pending[$0] == 0x0D && self.pending[$0 + 1] == 0x0A }
        }

        private func handle(_ line: String, context: ChannelHandlerContext) {
            if var lines = self.messageLines {
                if line == "." {
                    self.messageLines = nil
                    let message = Input.message(lines.joined(separator: "\r\n"))
                    self.record(message)
                    self.respond(self.script(message), context: context)
                } else {
                    lines.append(line)
                    self.messageLines = lines
                }
                return
            }
            let input = Input.command(line)
            self.record(input)
            let response = self.script(input)
            if line.uppercased() == "DATA", case .lines(let lines) = response, lines.first?.hasPrefix("354") == true {
                self.messageLines = []
            }
            self.respond(response, context: context)
        }

        private func respond(_ response: Response, context: ChannelHandlerContext) {
            switch response {
            case .lines(let lines): self.write(lines.map { $0 + "\r\n" }.joined(), context: context)
            case .bytes(let text): self.write(text, context: context)
            case .silence: break
            case .close: context.close(promise: nil)
            case .delayed(let pause, let line):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: TimeAmount(pause)) {
                    let (handler, context) = loopBound.value
                    handler.write(line + "\r\n", context: context)
                }
            }
        }

        private func write(_ text: String, context: ChannelHandlerContext) {
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        }
    }
}
