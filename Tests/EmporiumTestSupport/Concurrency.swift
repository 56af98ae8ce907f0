import Synchronization
import Testing

/// A test failure with a message.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body`, failing with a `TestFailure` if it has not finished after `limit`.
/// The body keeps running in the background after a timeout (it is cancelled).
public func withTimeout<T: Sendable>(
    _ what: String,
    _ limit: Duration = .seconds(30),
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let once = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        once.set(continuation)
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            once.resume(with: result)
        }
        Task {
            try? await Task.sleep(for: limit)
            if once.resume(with: .failure(TestFailure("timed out after \(limit): \(what)"))) {
                work.cancel()
            }
        }
    }
}

/// A continuation resumed by whichever of two tasks comes first.
public final class ResumeOnce<T: Sendable>: Sendable {
    private let state = Mutex<CheckedContinuation<T, any Error>?>(nil)

    public init() {}

    public func set(_ continuation: CheckedContinuation<T, any Error>) {
        self.state.withLock { $0 = continuation }
    }

    /// Resumes unless already resumed; returns whether this call did.
    @discardableResult
    public func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = self.state.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}

/// Lets broker tests run in parallel while a test that stops the broker runs alone.
/// Shared by every test target (they run in one process): tests that stop the shared RabbitMQ
/// take it exclusively, every other broker test takes it shared.
public actor BrokerGate {
    public static let shared = BrokerGate()
    /// The gate of the Kafka test broker (``shared`` is RabbitMQ's): its outage tests need not
    /// wait for RabbitMQ's, nor the other way round.
    public static let kafka = BrokerGate()
    /// Not a broker's: the gate of tests that start several `emporium` processes at once (shared)
    /// and of the test whose timing needs the machine to itself (exclusive: 1,100 idle
    /// connections opened before the server's head timeout).
    public static let processes = BrokerGate()

    private var readers = 0
    private var writer = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    /// Runs `body` alongside other shared bodies, at most `limit` long.
    public func shared<T: Sendable>(limit: Duration = .seconds(120), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        await self.acquire(exclusive: false)
        do {
            let result = try await withTimeout("broker test", limit, body)
            self.release(exclusive: false)
            return result
        } catch {
            self.release(exclusive: false)
            throw error
        }
    }

    /// Runs `body` with no other broker test running, at most `limit` long.
    public func exclusive<T: Sendable>(limit: Duration = .seconds(300), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        await self.acquire(exclusive: true)
        do {
            let result = try await withTimeout("exclusive broker test", limit, body)
            self.release(exclusive: true)
            return result
        } catch {
            self.release(exclusive: true)
            throw error
        }
    }

    private func canEnter(exclusive: Bool) -> Bool {
        exclusive ? (!writer && readers == 0) : (!writer && !waiting.contains(where: { $0.exclusive }))
    }

    private func acquire(exclusive: Bool) async {
        if waiting.isEmpty && canEnter(exclusive: exclusive) {
            enter(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiting.append((exclusive, $0)) }
    }

    private func enter(exclusive: Bool) {
        if exclusive { writer = true } else { readers += 1 }
    }

    private func release(exclusive: Bool) {
        if exclusive { writer = false } else { readers -= 1 }
        while let next = waiting.first {
            let allowed = next.exclusive ? (!writer && readers == 0) : !writer
            guard allowed else { break }
            waiting.removeFirst()
            enter(exclusive: next.exclusive)
            next.continuation.resume()
            if next.exclusive { break }
        }
    }
}


/// Waits until `check` holds, trying every 25 ms for at most `limit`, for what happens moments
/// after a request (an event applied, a replica catching up); records an issue naming `what`
/// when it never does.
/// - Returns: whether `check` held.
@discardableResult
public func waitUntil(
    _ what: Comment, within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ check: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: limit)
    while ContinuousClock.now < deadline {
        if try await check() { return true }
        try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("timed out after \(limit) waiting until \(what)", sourceLocation: sourceLocation)
    return false
}
