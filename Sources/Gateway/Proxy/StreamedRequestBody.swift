import AsyncAlgorithms
import Hummingbird
import NIOCore

/// A request body passed on to an instance while it arrives, read from the client by a task of
/// the gateway's own rather than by the HTTP client.
///
/// The HTTP client reads a request body for as long as it uploads it, which can outlast the
/// exchange: an instance may answer before it reads the body (a 415 from the head alone), and
/// that answer is passed on while the upload goes on. Once the handler returns, the server reads
/// whatever is left of the body to reach the connection's next request; two readers of one
/// connection at once is a crash. So the client's body is read here, one chunk at a time, and
/// handed to the HTTP client through a channel; ``end()`` closes the channel (an upload still
/// going gets no more) and waits until the reading task has stopped, having read the rest of the
/// body. The handler ends every exchange with it before it returns.
final class StreamedRequestBody: Sendable {
    /// What the HTTP client uploads: the client's chunks, each handed on when the upload takes it.
    let chunks: AsyncThrowingChannel<ByteBuffer, any Error>
    private let reader: Task<Void, Never>

    /// Starts reading `body`, failing the upload with ``BodyTooLargeError`` once past `limit` bytes
    /// (a client that sent no `Content-Length`, or a wrong one).
    init(_ body: RequestBody, limit: Int) {
        let chunks = AsyncThrowingChannel<ByteBuffer, any Error>()
        self.chunks = chunks
        self.reader = Task {
            var total = 0
            do {
                for try await chunk in body {
                    total += chunk.readableBytes
                    if total > limit { throw BodyTooLargeError(limit: limit) }
                    // Returns once the upload takes it, or at once after `end()`: the rest is read and dropped.
                    await chunks.send(chunk)
                }
                chunks.finish()
            } catch {
                chunks.fail(error)
            }
        }
    }

    /// Ends the upload's share of the body and waits until the client's body is no longer read.
    func end() async {
        chunks.finish()
        await reader.value
    }
}

/// A streamed request body went past the gateway's limit.
struct BodyTooLargeError: Error {
    let limit: Int
}
