import Logging
import NIOCore
import NIOPosix

/// The TCP connection underneath: connecting, inbound frame dispatch, and what happens
/// when the socket goes away.
extension AMQPConnection {
    /// Opens a TCP connection and runs the handshake on it.
    func establish() async throws {
        let transportID = self.nextTransportID
        self.nextTransportID += 1
        let maxFrame = max(self.configuration.frameMax == 0 ? UInt32(Int32.max) : self.configuration.frameMax, 131_072)
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(TimeAmount(self.configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                do {
                    let handler = AMQPConnectionHandler(connection: self, transportID: transportID, maxFrameSize: maxFrame)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: self.configuration.host, port: self.configuration.port).get()
        } catch {
            throw AMQPError.brokerUnreachable(broker: self.configuration.brokerAddress, reason: Self.describeConnectError(error))
        }
        guard channel.isActive else {
            throw AMQPError.connectionLost(broker: self.configuration.brokerAddress, reason: "the broker closed the connection at once")
        }
        self.transport = Transport(channel: channel, id: transportID)
        self.sink.attach(channel)
        self.receivedSinceTick = true
        self.silentTicks = 0
        self.sendRaw(AMQPWire.protocolHeader)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let timeout = self.eventLoop.scheduleTask(in: TimeAmount(self.configuration.connectTimeout)) { [self] in
                self.assumeIsolated { $0.handshakeTimedOut(transportID: transportID) }
            }
            self.handshake = Handshake(step: .awaitingStart, transportID: transportID, continuation: continuation, timeout: timeout)
        }
    }

    static func describeConnectError(_ error: any Error) -> String {
        if let error = error as? ChannelError, case .connectTimeout(let amount) = error {
            return "connect timed out after \(Duration(amount))"
        }
        if let error = error as? NIOConnectionError {
            let causes = error.connectionErrors.map { "\($0.target): \($0.error)" }
            if causes.isEmpty { return "\(error)" }
            return causes.joined(separator: "; ")
        }
        return "\(error)"
    }

    /// Frames read from the socket (one batch per read).
    func received(_ frames: [AMQPFrame], transportID: UInt64) {
        guard self.transport?.id == transportID else { return }
        self.receivedSinceTick = true
        for frame in frames {
            do {
                if self.handshake != nil {
                    try self.handleHandshakeFrame(frame)
                } else if frame.channel == 0 {
                    try self.handleConnectionFrame(frame)
                } else if let channel = self.channels[frame.channel] {
                    try channel.assumeIsolated { channel in try channel.received(frame) }
                } else {
                    self.logger.debug("dropping frame for unknown channel", metadata: ["amqp.channel": "\(frame.channel)"])
                }
            } catch {
                self.transportFailed(transportID: transportID, error: Self.amqpError(error, broker: self.configuration.brokerAddress))
                return
            }
            // A handler above may have dropped this transport.
            guard self.transport?.id == transportID else { return }
        }
    }

    /// Methods on channel 0 once the connection is open.
    private func handleConnectionFrame(_ frame: AMQPFrame) throws(AMQPError) {
        switch frame.type {
        case .heartbeat:
            return
        case .header, .body:
            throw AMQPError.protocolError("content frame on channel 0")
        case .method:
            var payload = frame.payload
            let method = try AMQPMethod.decode(from: &payload)
            switch method {
            case .connectionClose(let code, let text, let classID, let methodID):
                try? self.send(.connectionCloseOk, on: 0)
                self.flushOutput()
                let failed = AMQPMethodID(classID: classID, methodID: methodID)
                self.logger.warning(
                    "broker closed the connection",
                    metadata: ["amqp.reply_code": "\(code)", "amqp.reply_text": "\(text)", "amqp.method": "\(failed)"])
                throw AMQPError.connectionClosed(broker: self.configuration.brokerAddress, code: code, text: text)
            case .connectionCloseOk:
                self.resumeCloseWaiter()
            case .connectionBlocked(let reason):
                self.logger.warning("broker blocked publishing on this connection", metadata: ["amqp.reason": "\(reason)"])
            case .connectionUnblocked:
                self.logger.info("broker unblocked publishing on this connection")
            default:
                throw AMQPError.protocolError("unexpected \(method.id) on channel 0")
            }
        }
    }

    /// The socket closed (`error == nil`) or must be closed because of `error`.
    func transportFailed(transportID: UInt64, error: AMQPError?) {
        guard let transport = self.transport, transport.id == transportID else { return }
        let reason: AMQPError
        if let error {
            reason = error
        } else if let handshake = self.handshake {
            reason = self.handshakeInterrupted(at: handshake.step)
        } else {
            reason = .connectionLost(broker: self.configuration.brokerAddress, reason: "the broker closed the TCP connection")
        }
        self.dropTransport(reason)
    }

    /// Closes the socket (if any) and fails or suspends everything that depended on it.
    func dropTransport(_ error: AMQPError) {
        if let transport = self.transport {
            self.transport = nil
            self.sink.detach()
            transport.channel.close(promise: nil)
        }
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
        if let handshake = self.handshake {
            self.handshake = nil
            handshake.timeout?.cancel()
            handshake.continuation.resume(throwing: error)
        }
        switch self.phase {
        case .open:
            let recover = self.configuration.reconnect.enabled
            self.logger.warning(
                "AMQP connection lost\(recover ? "; reconnecting" : "")", metadata: ["amqp.error": "\(error)"])
            for channel in self.channels.values {
                channel.assumeIsolated { $0.connectionDropped(error, willRecover: recover, graceful: false) }
            }
            if recover {
                self.phase = .reconnecting(error)
                self.startRecovery()
            } else {
                self.phase = .closed(error)
                self.channels = [:]
                self.resumeStateWaiters()
            }
        case .reconnecting:
            // Lost again while restoring: fail what the restore was waiting for.
            for channel in self.channels.values {
                channel.assumeIsolated { $0.connectionDropped(error, willRecover: true, graceful: false) }
            }
        case .closing:
            self.resumeCloseWaiter()
        case .connecting, .closed:
            break
        }
    }
}
