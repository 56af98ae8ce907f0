#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// Where log lines go off the request path: a bounded in-memory queue that one writer thread
/// drains into a file descriptor (standard output by default), many lines to a `write(2)`.
///
/// A task that logs only appends its line's bytes under a lock; it never waits for the
/// descriptor, and it does not wake the writer for each line (a semaphore signal, a context
/// switch and a `write(2)` per line cost more than the line itself): the writer wakes every
/// ``interval`` (20 ms) and writes what has gathered, or at once when a quarter of the capacity
/// is queued. When the reader of the descriptor falls behind and the queue holds
/// ``capacity`` bytes, new lines are dropped and counted (``droppedLines``), and once the queue
/// has room again the writer adds one warning line saying how many were lost. ``flush()``
/// writes what is queued on the caller's thread: the process calls it at shutdown, so nothing
/// already logged is lost.
public final class BufferedLogOutput: Sendable {
    /// Makes the warning line written after lines were dropped, from the number dropped.
    public typealias DropWarning = @Sendable (_ dropped: Int) -> [UInt8]

    private struct Queue {
        var bytes: [UInt8] = []
        /// Lines dropped since the last warning.
        var droppedSinceWarning = 0
        /// Lines dropped since start.
        var droppedTotal = 0
    }

    /// The most bytes queued before lines are dropped.
    public let capacity: Int
    /// The longest a line waits in the queue while the output keeps up.
    public let interval: Duration
    /// Queued bytes that wake the writer before its interval is over.
    private let wakeThreshold: Int
    private let descriptor: Int32
    private let queue = Mutex(Queue())
    /// Held while bytes taken from the queue are written, so that ``flush()`` and the writer
    /// thread keep the lines in order.
    private let writing = Mutex(())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let dropWarning: DropWarning

    /// Starts the writer thread.
    /// - Parameters:
    ///   - descriptor: The file descriptor lines are written to (1: standard output).
    ///   - capacity: The most bytes queued; further lines are dropped until the writer catches up.
    ///   - dropWarning: The line written after lines were dropped.
    ///   - interval: How often the writer writes what has gathered.
    public init(descriptor: Int32 = 1, capacity: Int = 8 << 20, interval: Duration = .milliseconds(20), dropWarning: @escaping DropWarning) {
        self.descriptor = descriptor
        self.capacity = capacity
        self.interval = interval
        self.wakeThreshold = max(1, capacity / 4)
        self.dropWarning = dropWarning
        let thread = Thread { [self] in self.drainForever() }
        thread.name = "emporium-log-writer"
        thread.start()
    }

    /// Queues one line (with its newline). Never blocks on the descriptor.
    /// - Returns: false when the queue was full and the line was dropped.
    @discardableResult
    public func append(_ line: [UInt8]) -> Bool {
        let threshold = wakeThreshold
        let (accepted, crossed) = queue.withLock { queue -> (Bool, Bool) in
            guard queue.bytes.count + line.count <= capacity else {
                queue.droppedSinceWarning += 1
                queue.droppedTotal += 1
                return (false, false)
            }
            let before = queue.bytes.count
            queue.bytes.append(contentsOf: line)
            return (true, before < threshold && queue.bytes.count >= threshold)
        }
        if crossed { wakeUp.signal() }
        return accepted
    }

    /// Lines dropped since start because the queue was full.
    public var droppedLines: Int { queue.withLock { $0.droppedTotal } }

    /// Writes everything queued so far, on the caller's thread, before returning.
    public func flush() {
        writing.withLock { _ in
            while let batch = take() { Self.write(batch, to: descriptor) }
        }
    }

    // MARK: writer

    private func drainForever() {
        let (seconds, attoseconds) = interval.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        while true {
            _ = wakeUp.wait(timeout: .now() + .nanoseconds(nanoseconds))
            flush()
        }
    }

    /// The queued bytes (plus a warning line when lines were dropped), or nil when nothing waits.
    private func take() -> [UInt8]? {
        let (bytes, dropped) = queue.withLock { queue -> ([UInt8], Int) in
            let dropped = queue.droppedSinceWarning
            queue.droppedSinceWarning = 0
            var taken: [UInt8] = []
            taken.reserveCapacity(Swift.min(queue.bytes.count * 2, capacity))
            swap(&taken, &queue.bytes)
            return (taken, dropped)
        }
        guard dropped > 0 else { return bytes.isEmpty ? nil : bytes }
        return bytes + dropWarning(dropped)
    }

    /// Writes all of `bytes` to `descriptor` (retrying short writes and `EINTR`); a closed or
    /// broken descriptor drops the rest, since nothing sensible can be done with the lines.
    static func write(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
