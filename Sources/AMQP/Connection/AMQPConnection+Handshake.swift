import NIOCore

/// The opening handshake: protocol header, start/start-ok (PLAIN), tune/tune-ok, open/open-ok.
struct Handshake {
    enum Step {
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk
    }

    var step: Step
    var transportID: UInt64
    var continuation: CheckedContinuation<Void, any Error>
    var timeout: Scheduled<Void>?
}

extension AMQPConnection {
    /// Client properties sent in connection.start-ok. The capabilities tell RabbitMQ which
    /// extensions we understand; authentication_failure_close makes it answer bad
    /// credentials with connection.close 403 instead of just dropping the socket.
    var clientProperties: AMQPTable {
        var properties: AMQPTable = [
            "product": "Emporium AMQP",
            "version": "1.0",
            "platform": "Swift",
            "capabilities": .table([
                "publisher_confirms": true,
                "basic.nack": true,
                "consumer_cancel_notify": true,
                "connection.blocked": true,
                "authentication_failure_close": true,
                "exchange_exchange_bindings": true,
                "per_consumer_qos": true,
            ]),
        ]
        if let name = self.configuration.connectionName {
            properties["connection_name"] = .string(name)
        }
        return properties
    }

    /// Handles a frame while the handshake runs.
    func handleHandshakeFrame(_ frame: AMQPFrame) throws(AMQPError) {
        guard var handshake = self.handshake else { return }
        if frame.type == .heartbeat { return }
        guard frame.type == .method, frame.channel == 0 else {
            throw AMQPError.protocolError("unexpected \(frame.type) frame on channel \(frame.channel) during the handshake")
        }
        var payload = frame.payload
        let method = try AMQPMethod.decode(from: &payload)
        switch (handshake.step, method) {
        case (.awaitingStart, .connectionStart(_, _, let serverProperties, let mechanisms, _)):
            guard mechanisms.split(separator: " ").contains("PLAIN") else {
                throw AMQPError.protocolError("broker does not offer PLAIN authentication (it offers: \(mechanisms))")
            }
            self.serverProperties = serverProperties
            let response = "\u{0}\(self.configuration.user)\u{0}\(self.configuration.password)"
            try self.send(
                .connectionStartOk(clientProperties: self.clientProperties, mechanism: "PLAIN", response: response, locale: "en_US"),
                on: 0)
            handshake.step = .awaitingTune
            self.handshake = handshake

        case (.awaitingTune, .connectionTune(let channelMax, let frameMax, let heartbeat)):
            let wanted = self.configuration
            let wantedHeartbeat = Self.wholeSeconds(wanted.heartbeat)
            var negotiated = AMQPNegotiatedParameters(
                channelMax: UInt16(Self.negotiate(UInt32(wanted.channelMax), UInt32(channelMax))),
                frameMax: Self.negotiate(wanted.frameMax, frameMax),
                heartbeatSeconds: UInt16(Self.negotiate(UInt32(wantedHeartbeat), UInt32(heartbeat))))
            if negotiated.frameMax == 0 { negotiated.frameMax = UInt32(Int32.max) }
            negotiated.frameMax = max(negotiated.frameMax, AMQPWire.minimumFrameMax)
            if negotiated.channelMax == 0 { negotiated.channelMax = UInt16.max }
            self.negotiated = negotiated
            self.sink.setFrameMax(negotiated.frameMax)
            try self.send(
                .connectionTuneOk(channelMax: negotiated.channelMax, frameMax: negotiated.frameMax, heartbeat: negotiated.heartbeatSeconds),
                on: 0)
            try self.send(.connectionOpen(virtualHost: wanted.virtualHost), on: 0)
            self.startHeartbeats(transportID: handshake.transportID)
            handshake.step = .awaitingOpenOk
            self.handshake = handshake

        case (.awaitingOpenOk, .connectionOpenOk):
            handshake.timeout?.cancel()
            self.handshake = nil
            handshake.continuation.resume()

        case (_, .connectionClose(let code, let text, _, _)):
            try? self.send(.connectionCloseOk, on: 0)
            self.flushOutput()
            if code == AMQPReplyCode.accessRefused || code == AMQPReplyCode.notAllowed {
                throw self.accessRefused(text)
            }
            throw AMQPError.connectionClosed(broker: self.configuration.brokerAddress, code: code, text: text)

        default:
            throw AMQPError.protocolError("unexpected \(method.id) during the handshake")
        }
    }

    func accessRefused(_ reason: String) -> AMQPError {
        .accessRefused(
            broker: self.configuration.brokerAddress, user: self.configuration.user,
            vhost: self.configuration.virtualHost, reason: reason)
    }

    /// The error for a socket that closed during the handshake at `step`.
    func handshakeInterrupted(at step: Handshake.Step) -> AMQPError {
        switch step {
        case .awaitingStart:
            return .connectionLost(
                broker: self.configuration.brokerAddress,
                reason: "the broker closed the connection before the AMQP handshake (is this an AMQP 0-9-1 port?)")
        case .awaitingTune:
            // RabbitMQ closes the socket after a failed login when the client does not
            // ask for authentication_failure_close.
            return self.accessRefused("the broker closed the connection during authentication")
        case .awaitingOpenOk:
            return .connectionLost(broker: self.configuration.brokerAddress, reason: "the broker closed the connection while opening the virtual host")
        }
    }

    func handshakeTimedOut(transportID: UInt64) {
        guard let handshake = self.handshake, handshake.transportID == transportID else { return }
        self.transportFailed(
            transportID: transportID,
            error: .brokerUnreachable(
                broker: self.configuration.brokerAddress,
                reason: "connected, but no AMQP handshake answer within \(self.configuration.connectTimeout)"))
    }

    /// The tune rule RabbitMQ clients use: the lower of two non-zero values, else the non-zero one.
    static func negotiate(_ client: UInt32, _ server: UInt32) -> UInt32 {
        (client == 0 || server == 0) ? max(client, server) : min(client, server)
    }

    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        if seconds <= 0 && attoseconds <= 0 { return 0 }
        let rounded = Int(seconds) + (attoseconds > 0 ? 1 : 0)
        return min(max(rounded, 1), Int(UInt16.max))
    }
}
