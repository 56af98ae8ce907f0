import NIOCore
import NIOSSL

/// A channel and its ``SMTPConnectionHandler``, with async ways to talk through it. Hops onto
/// the event loop once per call.
///
/// SMTP is a conversation in lock-step, so a caller whose task is cancelled mid-command leaves
/// the connection in an unknown state: cancelling closes it.
struct SMTPTransport: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<SMTPConnectionHandler>
    /// The server's first reply.
    let greeting: EventLoopFuture<SMTPReply>

    /// Sends one command line (CRLF is added) and waits for the reply. `name` stands for the
    /// command in errors and must not contain secrets.
    func command(_ line: String, name: String? = nil, timeout: Duration) async throws -> SMTPReply {
        var buffer = self.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeBytes([0x0D, 0x0A])
        return try await self.send(buffer, name: name ?? line, timeout: timeout)
    }

    /// Sends prepared bytes (a message's data, ending with `.` CRLF) and waits for the reply.
    func send(_ bytes: ByteBuffer, name: String, timeout: Duration) async throws -> SMTPReply {
        let promise = self.channel.eventLoop.makePromise(of: SMTPReply.self)
        let handler = self.handler
        self.channel.eventLoop.execute {
            handler.value.send(bytes, command: name, timeout: timeout, promise: promise)
        }
        return try await self.waitCancellingConnection(promise.futureResult)
    }

    /// Waits for the greeting.
    func readGreeting() async throws -> SMTPReply {
        try await self.waitCancellingConnection(self.greeting)
    }

    /// Switches to TLS after the server's `220` to `STARTTLS`. The handshake itself runs before
    /// the next command's bytes go out; its failure fails that command.
    func startTLS(context: NIOSSLContext, serverHostname: String?) async throws {
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        self.channel.eventLoop.execute {
            handler.value.startTLS(context: context, serverHostname: serverHostname, promise: promise)
        }
        try await promise.futureResult.get()
    }

    private func waitCancellingConnection<Value: Sendable>(_ future: EventLoopFuture<Value>) async throws -> Value {
        let channel = self.channel
        do {
            return try await withTaskCancellationHandler {
                try await future.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }
}
