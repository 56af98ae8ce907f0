import NIOCore

/// Heartbeats: every half interval, send a heartbeat frame if nothing else went out, and
/// declare the broker dead when nothing at all arrived for two full intervals.
extension AMQPConnection {
    func startHeartbeats(transportID: UInt64) {
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
        let seconds = self.negotiated.heartbeatSeconds
        guard seconds > 0 else { return }
        let half = TimeAmount.milliseconds(Int64(seconds) * 500)
        self.receivedSinceTick = true
        _ = self.sink.takeWroteSinceTick()
        self.silentTicks = 0
        self.heartbeatTask = self.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { [self] _ in
            self.assumeIsolated { $0.heartbeatTick(transportID: transportID) }
        }
    }

    /// Ticks that may pass without any inbound frame: two heartbeat intervals.
    static let silentTicksAllowed = 4

    func heartbeatTick(transportID: UInt64) {
        guard self.transport?.id == transportID else { return }
        if self.receivedSinceTick {
            self.silentTicks = 0
        } else {
            self.silentTicks += 1
        }
        self.receivedSinceTick = false
        if self.silentTicks >= Self.silentTicksAllowed {
            let seconds = Int(self.negotiated.heartbeatSeconds) * 2
            self.transportFailed(
                transportID: transportID,
                error: .connectionLost(
                    broker: self.configuration.brokerAddress,
                    reason: "no heartbeat or other data from the broker for \(seconds)s (2 heartbeat intervals); the broker is unresponsive"
                ))
            return
        }
        if !self.sink.takeWroteSinceTick() {
            self.sendRaw(AMQPWire.heartbeatFrame)
        }
    }
}
