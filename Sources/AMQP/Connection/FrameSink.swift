import NIOCore
import Synchronization

/// Frames waiting to be written to the connection's socket.
///
/// Any thread may add frames: publishers and acknowledgers encode on their own thread
/// instead of hopping onto the event loop. The first addition after a flush schedules
/// one flush on the event loop, so everything added in the meantime leaves in one write.
final class FrameSink: Sendable {
    private struct State {
        var channel: (any Channel)?
        var buffer = ByteBuffer()
        var flushScheduled = false
        var wroteSinceTick = false
        var frameMax: UInt32 = AMQPWire.minimumFrameMax
    }

    private let state = Mutex(State())

    /// Starts writing to `channel` (a new socket); anything pending is discarded.
    func attach(_ channel: any Channel) {
        self.state.withLock {
            $0.channel = channel
            $0.buffer.clear()
            $0.flushScheduled = false
        }
    }

    /// Stops writing; frames added later are refused.
    func detach() {
        self.state.withLock {
            $0.channel = nil
            $0.buffer = ByteBuffer()
        }
    }

    /// The negotiated frame-max, used to split bodies.
    func setFrameMax(_ frameMax: UInt32) {
        self.state.withLock { $0.frameMax = frameMax }
    }

    /// Encodes frames with `encode` (given the buffer and frame-max). Returns false, and
    /// writes nothing, when no socket is attached.
    func write(_ encode: (inout ByteBuffer, UInt32) throws(AMQPError) -> Void) throws(AMQPError) -> Bool {
        let outcome: (attached: Bool, flushOn: (any Channel)?) = try self.state.withLock {
            (state: inout State) throws(AMQPError) -> (Bool, (any Channel)?) in
            guard let channel = state.channel else { return (false, nil) }
            if state.buffer.capacity == 0 { state.buffer.reserveCapacity(16 * 1024) }
            let start = state.buffer.writerIndex
            do throws(AMQPError) {
                try encode(&state.buffer, state.frameMax)
            } catch {
                state.buffer.moveWriterIndex(to: start)
                throw error
            }
            if state.flushScheduled { return (true, nil) }
            state.flushScheduled = true
            return (true, channel)
        }
        if let channel = outcome.flushOn {
            channel.eventLoop.execute { self.flush() }
        }
        return outcome.attached
    }

    /// Writes and flushes everything pending. Runs on the event loop.
    func flush() {
        let pending: (channel: (any Channel)?, bytes: ByteBuffer) = self.state.withLock { state in
            state.flushScheduled = false
            guard let channel = state.channel, state.buffer.readableBytes > 0 else { return (nil, ByteBuffer()) }
            let bytes = state.buffer
            // Fresh storage for the next batch: the socket owns these bytes until written.
            state.buffer = ByteBuffer()
            state.wroteSinceTick = true
            return (channel, bytes)
        }
        pending.channel?.writeAndFlush(pending.bytes, promise: nil)
    }

    /// Whether anything was written since the last call (for heartbeats).
    func takeWroteSinceTick() -> Bool {
        self.state.withLock { state in
            defer { state.wroteSinceTick = false }
            return state.wroteSinceTick
        }
    }
}
