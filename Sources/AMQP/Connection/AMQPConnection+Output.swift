import NIOCore

/// Outgoing frames go through the ``FrameSink``, which batches them into one flush per
/// event-loop tick.
extension AMQPConnection {
    /// Encodes a method frame for `channel`.
    func send(_ method: AMQPMethod, on channel: UInt16) throws(AMQPError) {
        let attached = try self.sink.write { (buffer: inout ByteBuffer, _: UInt32) throws(AMQPError) in
            try buffer.writeMethodFrame(channel: channel, method)
        }
        if !attached { throw self.unavailableError() }
    }

    /// Encodes raw bytes (the protocol header, a heartbeat).
    func sendRaw(_ bytes: [UInt8]) {
        _ = try? self.sink.write { (buffer: inout ByteBuffer, _: UInt32) in buffer.writeBytes(bytes) }
    }

    /// Writes and flushes everything encoded so far, now.
    func flushOutput() {
        self.sink.flush()
    }
}
