import NIOCore
import Synchronization

/// The deliveries of one consumer between the channel (which appends them on the event loop)
/// and the task iterating the consumer (which takes them one at a time or as many as are
/// buffered). Unlike an `AsyncThrowingStream`, it can hand out everything already buffered
/// without waiting.
///
/// It ends in one of three ways: finished (the consumer was cancelled or its channel closed
/// cleanly), failed (the broker closed the channel, or the connection is gone for good), or
/// cancelled (the iterating task was cancelled, or every ``AMQPConsumer`` copy and iterator was
/// dropped). Buffered deliveries are still handed out after a finish or a failure, and the
/// failure is thrown once after them; after a cancellation nothing more is handed out, and
/// `onCancel` (basic.cancel on the broker) runs once.
final class DeliveryBuffer: Sendable {
    private enum End {
        case finished
        case failed(any Error)
        case cancelled
    }

    private struct State {
        var deliveries = CircularBuffer<AMQPDelivery>(initialCapacity: 16)
        var end: End?
        /// Whether a failure has been thrown to the iterating task (it is thrown once).
        var failureReported = false
        /// Iterating tasks suspended until a delivery or the end arrives (one, used as documented).
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let onCancel: @Sendable () -> Void

    /// - Parameter onCancel: Runs once when the iterating side goes away before the end.
    init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = onCancel
    }

    // MARK: - Channel side

    /// Buffers a delivery for the iterating task.
    /// - Returns: false when the buffer has ended: nobody will take the delivery.
    func append(_ delivery: AMQPDelivery) -> Bool {
        let (accepted, waiters) = self.state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.end == nil else { return (false, []) }
            state.deliveries.append(delivery)
            defer { state.waiters = [] }
            return (true, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return accepted
    }

    /// Ends the buffer after what it holds: normally, or by throwing `error` once.
    func finish(throwing error: (any Error)? = nil) {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.end == nil else { return [] }
            state.end = error.map { .failed($0) } ?? .finished
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Iterating side

    /// The iterating side went away: drops what is buffered, wakes a waiting task, and runs
    /// `onCancel` unless the buffer had already ended.
    func cancel() {
        let (waiters, wasOpen) = self.state.withLock { state -> ([CheckedContinuation<Void, Never>], Bool) in
            guard state.end == nil else { return ([], false) }
            state.end = .cancelled
            state.deliveries.removeAll()
            defer { state.waiters = [] }
            return (state.waiters, true)
        }
        for waiter in waiters { waiter.resume() }
        if wasOpen { self.onCancel() }
    }

    /// Waits for at least one delivery, then takes up to `max` of those buffered, oldest first,
    /// without waiting for more.
    /// - Returns: nil once the buffer has ended and holds nothing more.
    /// - Throws: the failure that ended the buffer, once, after the deliveries buffered before it.
    func take(max: Int) async throws -> [AMQPDelivery]? {
        precondition(max > 0, "take(max:) needs a positive maximum")
        while true {
            switch try self.poll(max: max) {
            case .deliveries(let deliveries): return deliveries
            case .ended: return nil
            case .empty: await self.waitForChange()
            }
        }
    }

    private enum Poll {
        case deliveries([AMQPDelivery])
        case ended
        case empty
    }

    private func poll(max: Int) throws -> Poll {
        try self.state.withLock { state throws -> Poll in
            if !state.deliveries.isEmpty {
                let count = Swift.min(max, state.deliveries.count)
                var taken: [AMQPDelivery] = []
                taken.reserveCapacity(count)
                for _ in 0..<count { taken.append(state.deliveries.removeFirst()) }
                return .deliveries(taken)
            }
            switch state.end {
            case nil:
                return .empty
            case .finished, .cancelled:
                return .ended
            case .failed(let error):
                if state.failureReported { return .ended }
                state.failureReported = true
                throw error
            }
        }
    }

    /// Suspends until a delivery or the end arrives; cancelling the task cancels the buffer.
    private func waitForChange() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = self.state.withLock { state -> Bool in
                    if !state.deliveries.isEmpty || state.end != nil { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            self.cancel()
        }
    }
}
