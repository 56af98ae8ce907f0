import Logging
import NIOCore

/// Reconnection after a drop: backoff, handshake, then restore topology, channels and
/// consumers in that order.
extension AMQPConnection {
    func startRecovery() {
        guard self.recoveryTask == nil else { return }
        self.recoveryTask = Task { await self.runRecovery() }
    }

    private func runRecovery() async {
        defer { self.recoveryTask = nil }
        var attempt = 0
        while case .reconnecting = self.phase {
            let delay = self.configuration.reconnect.delay(beforeAttempt: attempt)
            do {
                try await Task.sleep(for: delay)
            } catch {
                return  // cancelled by close()
            }
            guard case .reconnecting = self.phase else { return }
            attempt += 1
            do {
                try await self.establish()
                try await self.restore()
                guard case .reconnecting = self.phase, self.transport != nil else { continue }
                self.phase = .open
                self.reconnectCount += 1
                self.logger.info("AMQP connection re-established", metadata: ["amqp.attempts": "\(attempt)"])
                self.resumeStateWaiters()
                return
            } catch {
                let amqpError = Self.amqpError(error, broker: self.configuration.brokerAddress)
                if self.transport != nil { self.dropTransport(amqpError) }
                guard case .reconnecting = self.phase else { return }
                self.phase = .reconnecting(amqpError)
                self.logger.warning(
                    "AMQP reconnect attempt failed", metadata: ["amqp.attempt": "\(attempt)", "amqp.error": "\(amqpError)"])
            }
        }
    }

    /// Re-declares the recorded topology, reopens channels and restarts consumers.
    private func restore() async throws {
        try await self.restoreTopology()
        let ids = self.channels.keys.sorted()
        for id in ids {
            guard let channel = self.channels[id] else { continue }
            do {
                try await channel.recover()
            } catch let error as AMQPError {
                guard case .channelClosed = error else { throw error }
                self.logger.error("could not restore channel", metadata: ["amqp.channel": "\(id)", "amqp.error": "\(error)"])
            }
        }
        for id in ids {
            guard let channel = self.channels[id] else { continue }
            try await channel.recoverConsumers()
        }
    }

    private func restoreTopology() async throws {
        let items = self.topology.items
        guard !items.isEmpty else { return }
        var channel = try await self.openChannelUnchecked()
        for item in items {
            do {
                try await channel.redeclare(item)
            } catch let error as AMQPError {
                guard case .channelClosed = error else { throw error }
                self.logger.error("could not re-declare \(item)", metadata: ["amqp.error": "\(error)"])
                channel = try await self.openChannelUnchecked()
            }
        }
        try await channel.close()
    }
}
