import Logging
import NIOCore
import NIOSSL

/// A bounded set of sessions with one server.
///
/// - A lease takes the most recently used idle connection and checks it with `RSET` (which also
///   clears anything a failed transaction left); a connection that fails the check, has closed,
///   or has been idle longer than ``SMTPConfiguration/Pool/maximumIdleTime`` is closed and
///   replaced by a fresh one.
/// - While fewer than the maximum are open, a lease with no idle connection opens one; otherwise
///   it waits, first come first served, up to the lease timeout.
/// - A returned connection goes to the oldest waiter, or back to the idle list; a closed one
///   frees its slot, which the oldest waiter uses to open a new connection.
actor SMTPConnectionPool {
    /// Counts of the pool's connections and waiters at one moment.
    struct Statistics: Sendable, Equatable {
        var open: Int
        var idle: Int
        var leased: Int
        var waiting: Int
    }

    /// What a waiter is given: a connection, or the right to open one.
    private enum Grant: Sendable {
        case connection(SMTPConnection)
        case slot
    }

    private struct Idle {
        var connection: SMTPConnection
        var since: ContinuousClock.Instant
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Grant, any Error>
    }

    private let configuration: SMTPConfiguration
    private let tlsContext: NIOSSLContext?
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    private var idle: [Idle] = []
    /// Open or opening connections, idle or leased: what counts against the maximum.
    private var openCount = 0
    private var leasedCount = 0
    private var waiters: [Waiter] = []
    private var nextWaiterID = 0
    private var isClosed = false

    init(configuration: SMTPConfiguration, tlsContext: NIOSSLContext?, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    var statistics: Statistics {
        Statistics(open: self.openCount, idle: self.idle.count, leased: self.leasedCount, waiting: self.waiters.count)
    }

    // MARK: lease

    /// Takes a connection ready for a new transaction; give it back with ``release(_:)``.
    func lease() async throws -> SMTPConnection {
        guard !self.isClosed else { throw SMTPError.clientClosed }
        self.dropStaleIdle()
        if let entry = self.idle.popLast() {
            self.leasedCount += 1
            return try await self.checked(entry.connection)
        }
        if self.openCount < self.configuration.pool.maximumConnections {
            self.openCount += 1
            self.leasedCount += 1
            return try await self.openConnection()
        }
        switch try await self.waitForGrant() {
        case .connection(let connection): return try await self.checked(connection)
        case .slot: return try await self.openConnection()
        }
    }

    /// A reused connection after `RSET`, or a new one in its slot when that fails.
    private func checked(_ connection: SMTPConnection) async throws -> SMTPConnection {
        do {
            try await connection.reset()
            return connection
        } catch is CancellationError {
            self.slotFreed(by: connection)
            throw CancellationError()
        } catch {
            self.logger.debug("dropping a broken SMTP connection", metadata: ["error": "\(error)", "smtp.connection": "\(connection.id)"])
            await connection.close()
            return try await self.openConnection()
        }
    }

    /// Closes idle connections that closed by themselves or have been idle too long.
    private func dropStaleIdle() {
        let now = ContinuousClock.now
        let limit = self.configuration.pool.maximumIdleTime
        var kept: [Idle] = []
        for entry in self.idle {
            if entry.connection.isOpen && now - entry.since < limit {
                kept.append(entry)
            } else {
                self.openCount -= 1
                let connection = entry.connection
                Task { await connection.quit() }
            }
        }
        self.idle = kept
    }

    private func waitForGrant() async throws -> Grant {
        let id = self.nextWaiterID
        self.nextWaiterID += 1
        let timeout = self.configuration.pool.leaseTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.removeWaiter(id: id, error: SMTPError.leaseTimeout(timeout))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    self.waiters.append(Waiter(id: id, continuation: continuation))
                }
            }
        } onCancel: {
            Task { await self.removeWaiter(id: id, error: CancellationError()) }
        }
    }

    private func removeWaiter(id: Int, error: any Error) {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return }
        self.waiters.remove(at: index).continuation.resume(throwing: error)
    }

    /// Opens a connection for a lease that already holds a slot.
    private func openConnection() async throws -> SMTPConnection {
        let connection: SMTPConnection
        do {
            connection = try await SMTPConnection.connect(
                configuration: self.configuration,
                tlsContext: self.tlsContext,
                eventLoop: self.eventLoopGroup.next(),
                logger: self.logger
            )
        } catch {
            self.logger.debug("could not open an SMTP connection", metadata: ["error": "\(error)"])
            self.slotFreed(by: nil)
            throw error
        }
        connection.closeFuture.whenComplete { [weak self] _ in
            Task { await self?.connectionDidClose(connection) }
        }
        if self.isClosed {
            self.release(connection)
            throw SMTPError.clientClosed
        }
        return connection
    }

    /// Gives up a leased slot (its connection closed, or could not be opened): the oldest
    /// waiter gets the right to open a connection.
    private func slotFreed(by connection: SMTPConnection?) {
        self.leasedCount -= 1
        self.openCount -= 1
        if let connection { Task { await connection.close() } }
        self.grantSlotToWaiter()
    }

    /// Lets the oldest waiter open a connection, if there is room for one.
    private func grantSlotToWaiter() {
        guard !self.isClosed, !self.waiters.isEmpty, self.openCount < self.configuration.pool.maximumConnections else { return }
        let waiter = self.waiters.removeFirst()
        self.openCount += 1
        self.leasedCount += 1
        waiter.continuation.resume(returning: .slot)
    }

    // MARK: release

    /// Gives a leased connection back.
    func release(_ connection: SMTPConnection) {
        if self.isClosed {
            self.leasedCount -= 1
            self.openCount -= 1
            Task { await connection.quit() }
            return
        }
        guard connection.isOpen else {
            self.slotFreed(by: connection)
            return
        }
        if !self.waiters.isEmpty {
            self.waiters.removeFirst().continuation.resume(returning: .connection(connection))
            return
        }
        self.leasedCount -= 1
        self.idle.append(Idle(connection: connection, since: .now))
    }

    /// Drops a connection that closed while idle.
    private func connectionDidClose(_ connection: SMTPConnection) {
        guard let index = self.idle.firstIndex(where: { $0.connection === connection }) else { return }
        self.idle.remove(at: index)
        self.openCount -= 1
        self.grantSlotToWaiter()
    }

    // MARK: shutdown

    /// Says `QUIT` on idle connections and fails waiters; leased connections are closed when
    /// they come back. Leases after this fail with ``SMTPError/clientClosed``.
    func close() async {
        self.isClosed = true
        let idle = self.idle
        self.idle = []
        self.openCount -= idle.count
        let waiters = self.waiters
        self.waiters = []
        for waiter in waiters {
            waiter.continuation.resume(throwing: SMTPError.clientClosed)
        }
        for entry in idle {
            await entry.connection.quit()
        }
    }
}
