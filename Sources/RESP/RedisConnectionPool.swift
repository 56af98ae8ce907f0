import Logging
import NIOCore
import Synchronization

/// A bounded set of connections to one server.
///
/// - A lease takes an idle connection if there is one (most recently used first, so a few
///   connections stay warm), opens a new one while fewer than the maximum are open, and otherwise
///   waits, first come first served, up to the lease timeout.
/// - A returned connection goes to the oldest waiter, or back to the idle list.
/// - A connection that closed (server restart, time-out, network error) is dropped whether idle
///   or leased, and its slot is given to a waiter, which opens a fresh connection. Nothing is
///   reconnected in the background: the next lease connects, so while the server is down each
///   lease fails at once with the connect error, and once it is back leases succeed again.
///
/// All state sits behind one mutex; continuations are resumed outside it.
final class RedisConnectionPool: Sendable {
    /// Counts of the pool's connections and waiters at one moment.
    struct Statistics: Sendable, Equatable {
        var open: Int
        var idle: Int
        var leased: Int
        var waiting: Int
    }

    /// What a waiter is given: a connection, or the right to open one.
    private enum Grant: Sendable {
        case connection(RedisConnection)
        case slot
    }

    private struct Waiter: Sendable {
        var id: Int
        var continuation: CheckedContinuation<Grant, any Error>
        var timeoutTask: Scheduled<Void>?
    }

    private struct State: Sendable {
        var idle: [RedisConnection] = []
        /// Open or opening connections, idle or leased: what counts against the maximum.
        var openCount = 0
        var leasedCount = 0
        var waiters = CircularBuffer<Waiter>()
        var nextWaiterID = 0
        var isClosed = false

        /// Takes the most recently used idle connection that is still open, dropping closed ones
        /// (closed before their close callback ran; the callback will then not find them).
        mutating func takeIdle() -> RedisConnection? {
            while let connection = self.idle.popLast() {
                if connection.isOpen { return connection }
                self.openCount -= 1
            }
            return nil
        }

        /// Hands a freed slot to the oldest waiter, if any.
        mutating func grantFreedSlot() -> Waiter? {
            guard let waiter = self.waiters.popFirst() else { return nil }
            self.openCount += 1
            self.leasedCount += 1
            return waiter
        }
    }

    private let configuration: RedisConfiguration
    private let maximumConnections: Int
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.maximumConnections = max(1, configuration.pool.maximumConnections)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    var statistics: Statistics {
        self.state.withLock {
            Statistics(open: $0.openCount, idle: $0.idle.count, leased: $0.leasedCount, waiting: $0.waiters.count)
        }
    }

    // MARK: lease

    private enum LeaseDecision {
        case use(RedisConnection)
        case connect
        case wait
        case closed
    }

    /// Takes a connection for exclusive use; give it back with ``release(_:)``.
    func lease(timeout: Duration? = nil) async throws -> RedisConnection {
        let decision = self.state.withLock { state -> LeaseDecision in
            if state.isClosed { return .closed }
            if let connection = state.takeIdle() {
                state.leasedCount += 1
                return .use(connection)
            }
            if state.openCount < self.maximumConnections {
                state.openCount += 1
                state.leasedCount += 1
                return .connect
            }
            return .wait
        }
        switch decision {
        case .use(let connection):
            return connection
        case .connect:
            return try await self.openConnection()
        case .closed:
            throw RedisClientError.clientClosed
        case .wait:
            switch try await self.waitForGrant(timeout: timeout ?? self.configuration.pool.leaseTimeout) {
            case .connection(let connection): return connection
            case .slot: return try await self.openConnection()
            }
        }
    }

    private func waitForGrant(timeout: Duration) async throws -> Grant {
        let id = self.state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let immediate = self.state.withLock { state -> (any Error)? in
                    if state.isClosed { return RedisClientError.clientClosed }
                    if Task.isCancelled { return CancellationError() }
                    // Re-check: a connection or a slot may have been freed since the decision.
                    if let connection = state.takeIdle() {
                        state.leasedCount += 1
                        continuation.resume(returning: .connection(connection))
                        return nil
                    }
                    if state.openCount < self.maximumConnections {
                        state.openCount += 1
                        state.leasedCount += 1
                        continuation.resume(returning: .slot)
                        return nil
                    }
                    let timeoutTask = self.eventLoopGroup.any().scheduleTask(in: TimeAmount(timeout)) { [weak self] () -> Void in
                        self?.removeWaiter(id: id, error: RedisClientError.leaseTimeout(timeout))
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timeoutTask: timeoutTask))
                    return nil
                }
                if let immediate {
                    continuation.resume(throwing: immediate)
                }
            }
        } onCancel: {
            self.removeWaiter(id: id, error: CancellationError())
        }
    }

    private func removeWaiter(id: Int, error: any Error) {
        let removed = self.state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let removed else { return }
        removed.timeoutTask?.cancel()
        removed.continuation.resume(throwing: error)
    }

    /// Opens a connection for a lease that already holds a slot.
    private func openConnection() async throws -> RedisConnection {
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(
                configuration: self.configuration,
                eventLoop: self.eventLoopGroup.next(),
                logger: self.logger
            )
        } catch {
            self.logger.debug("could not open a Redis connection", metadata: ["error": "\(error)"])
            let waiter = self.state.withLock { state -> Waiter? in
                state.openCount -= 1
                state.leasedCount -= 1
                return state.isClosed ? nil : state.grantFreedSlot()
            }
            // The next waiter tries for itself: if the server is down it fails just as fast.
            waiter?.timeoutTask?.cancel()
            waiter?.continuation.resume(returning: .slot)
            throw error
        }
        connection.closeFuture.whenComplete { [weak self] _ in
            self?.connectionDidClose(connection)
        }
        let closed = self.state.withLock { $0.isClosed }
        if closed {
            self.release(connection)
            throw RedisClientError.clientClosed
        }
        return connection
    }

    // MARK: release

    /// Gives a leased connection back.
    func release(_ connection: RedisConnection) {
        enum Action {
            case none
            case close
            case handOver(Waiter)
            case grantSlot(Waiter)
        }
        let action = self.state.withLock { state -> Action in
            state.leasedCount -= 1
            if state.isClosed {
                state.openCount -= 1
                return .close
            }
            guard connection.isOpen else {
                state.openCount -= 1
                return state.grantFreedSlot().map(Action.grantSlot) ?? .none
            }
            if let waiter = state.waiters.popFirst() {
                state.leasedCount += 1
                return .handOver(waiter)
            }
            state.idle.append(connection)
            return .none
        }
        switch action {
        case .none:
            break
        case .close:
            connection.closeWithoutWaiting()
        case .handOver(let waiter):
            waiter.timeoutTask?.cancel()
            waiter.continuation.resume(returning: .connection(connection))
        case .grantSlot(let waiter):
            waiter.timeoutTask?.cancel()
            waiter.continuation.resume(returning: .slot)
        }
    }

    /// Drops a connection that closed while idle.
    private func connectionDidClose(_ connection: RedisConnection) {
        let waiter = self.state.withLock { state -> Waiter? in
            guard let index = state.idle.firstIndex(where: { $0 === connection }) else { return nil }
            state.idle.remove(at: index)
            state.openCount -= 1
            return state.isClosed ? nil : state.grantFreedSlot()
        }
        waiter?.timeoutTask?.cancel()
        waiter?.continuation.resume(returning: .slot)
    }

    // MARK: shutdown

    /// Closes idle connections, fails waiters, and closes leased connections when they are
    /// returned. Leases after this fail with ``RedisClientError/clientClosed``.
    func close() async {
        let (idle, waiters) = self.state.withLock { state in
            state.isClosed = true
            let idle = state.idle
            state.idle = []
            state.openCount -= idle.count
            let waiters = Array(state.waiters)
            state.waiters.removeAll()
            return (idle, waiters)
        }
        for waiter in waiters {
            waiter.timeoutTask?.cancel()
            waiter.continuation.resume(throwing: RedisClientError.clientClosed)
        }
        for connection in idle {
            await connection.close()
        }
    }
}
