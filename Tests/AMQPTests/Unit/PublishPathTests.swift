import NIOCore
import NIOEmbedded
import EmporiumTestSupport
import Testing

@testable import AMQP

@Suite("Publish path without a server")
struct PublishPathTests {
    /// A gate writing to an embedded channel, open and in confirm mode.
    private func makeGate(frameMax: UInt32 = 4096) throws -> (ChannelGate, EmbeddedChannel) {
        let channel = EmbeddedChannel()
        let sink = FrameSink()
        sink.attach(channel)
        sink.setFrameMax(frameMax)
        let gate = ChannelGate(channelID: 7, sink: sink, broker: "test:5672")
        gate.open()
        try gate.sendConfirmSelect()
        return (gate, channel)
    }

    private func written(_ channel: EmbeddedChannel) throws -> [AMQPFrame] {
        try writes(channel).frames
    }

    /// Runs pending event-loop work and decodes what was written, counting the writes.
    private func writes(_ channel: EmbeddedChannel) throws -> (frames: [AMQPFrame], writeCount: Int) {
        channel.embeddedEventLoop.run()
        var bytes = ByteBuffer()
        var writeCount = 0
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) {
            bytes.writeBuffer(&chunk)
            writeCount += 1
        }
        var decoder = AMQPFrameDecoder(maxPayloadSize: 1 << 20)
        var frames: [AMQPFrame] = []
        while let frame = try decoder.decode(buffer: &bytes) { frames.append(frame) }
        #expect(bytes.readableBytes == 0)
        return (frames, writeCount)
    }

    /// Starts a confirmed publish and waits until the gate has registered it.
    private func startPublish(_ gate: ChannelGate, _ text: String) async throws -> Task<Void, any Error> {
        let before = gate.unconfirmedCount
        let task = Task {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                do {
                    try gate.publish(
                        exchange: "ex", routingKey: "rk", mandatory: false, properties: .persistent,
                        body: ByteBuffer(string: text), waiter: .single(continuation))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        try await withTimeout("publish \(text) registered") {
            while gate.unconfirmedCount == before { try await Task.sleep(for: .milliseconds(1)) }
        }
        return task
    }

    @Test("publishes are batched into one write: select, then method, header and body per message")
    func framesOnTheWire() async throws {
        let (gate, channel) = try makeGate()
        let first = try await startPublish(gate, "one")
        let second = try await startPublish(gate, "two")
        let (frames, writeCount) = try writes(channel)
        #expect(writeCount == 1)
        #expect(frames.map(\.type) == [.method, .method, .header, .body, .method, .header, .body])
        #expect(frames.allSatisfy { $0.channel == 7 })
        var select = frames[0].payload
        #expect(try AMQPMethod.decode(from: &select) == .confirmSelect(noWait: false))
        var publish = frames[1].payload
        #expect(try AMQPMethod.decode(from: &publish) == .basicPublish(exchange: "ex", routingKey: "rk", mandatory: false, immediate: false))
        var header = frames[2].payload
        let content = try header.readContentHeader()
        #expect(content.bodySize == 3)
        #expect(content.properties.deliveryMode == .persistent)
        #expect(String(buffer: frames[6].payload) == "two")
        gate.confirm(2, multiple: true, ack: true)
        try await withTimeout("confirms") {
            try await first.value
            try await second.value
        }
    }

    @Test("acks resolve by tag: multiple, single out of order, and nacks fail with the tag")
    func confirmResolution() async throws {
        let (gate, _) = try makeGate()
        var tasks: [Task<Void, any Error>] = []
        for i in 1...5 { tasks.append(try await startPublish(gate, "m\(i)")) }

        gate.confirm(2, multiple: true, ack: true)  // 1 and 2
        gate.confirm(4, multiple: false, ack: true)  // 4 alone, out of order
        gate.confirm(5, multiple: false, ack: false)  // 5 refused
        #expect(gate.unconfirmedCount == 1)  // 3 still waits
        try await withTimeout("acked publishes") { [tasks] in
            try await tasks[0].value
            try await tasks[1].value
            try await tasks[3].value
        }
        let nacked = await #expect(throws: AMQPError.self) { try await tasks[4].value }
        #expect(nacked == .publishNacked(deliveryTag: 5))

        gate.block(.connectionLost(broker: "test:5672", reason: "gone"))
        let lost = await #expect(throws: AMQPError.self) { try await tasks[2].value }
        #expect(lost == .connectionLost(broker: "test:5672", reason: "gone"))
    }

    @Test("a blocked gate refuses publishes and acks; a stale epoch refuses acks")
    func blockingAndEpochs() throws {
        let (gate, _) = try makeGate()
        #expect(throws: Never.self) { try gate.settle(.basicAck(deliveryTag: 1, multiple: false), epoch: 0) }
        _ = gate.advanceEpoch()
        let stale = #expect(throws: AMQPError.self) { try gate.settle(.basicAck(deliveryTag: 1, multiple: false), epoch: 0) }
        #expect("\(stale!)".contains("delivers it again"))
        gate.block(.channelClosed(code: 404, text: "NOT_FOUND", method: nil))
        let refused = #expect(throws: AMQPError.self) {
            try gate.publish(
                exchange: "", routingKey: "q", mandatory: false, properties: AMQPProperties(), body: ByteBuffer(),
                waiter: nil)
        }
        #expect(refused?.replyCode == 404)
    }

    @Test("a large body is split at frame-max on the wire")
    func largeBody() throws {
        let channel = EmbeddedChannel()
        let sink = FrameSink()
        sink.attach(channel)
        sink.setFrameMax(4096)
        let gate = ChannelGate(channelID: 1, sink: sink, broker: "test:5672")
        gate.open()
        let body = ByteBuffer(repeating: 0xAB, count: 10_000)
        try gate.publish(exchange: "", routingKey: "q", mandatory: false, properties: AMQPProperties(), body: body, waiter: nil)
        let frames = try written(channel)
        #expect(frames.map(\.type) == [.method, .header, .body, .body, .body])
        #expect(frames.filter { $0.type == .body }.map(\.payload.readableBytes) == [4088, 4088, 1824])
    }
}
