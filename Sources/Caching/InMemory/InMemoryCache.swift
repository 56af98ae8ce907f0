public import NIOCore
import Synchronization

/// A cache in this process's memory: least recently used entries are evicted first once it
/// holds ``maximumEntries`` entries or ``maximumBytes`` bytes (keys and values counted), and each
/// entry expires after its own time to live.
///
/// Safe to share between tasks; each operation takes one mutex briefly. Values are copied when
/// stored, so a value that is a slice of a larger buffer (a network read) does not keep that
/// buffer alive and its size is what is counted.
public final class InMemoryCache: Cache {
    /// The most entries kept.
    public let maximumEntries: Int
    /// The most bytes (keys plus values) kept.
    public let maximumBytes: Int

    private let storage: Mutex<LRUStorage>
    private let time: TimeSource

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - maximumEntries: The most entries kept (at least 1).
    ///   - maximumBytes: The most bytes kept, keys and values together (at least 1).
    ///   - time: The clock expiry is measured with; tests pass one they move.
    public init(maximumEntries: Int = 10_000, maximumBytes: Int = 64 << 20, time: TimeSource = .continuous) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
        self.storage = Mutex(LRUStorage(maximumEntries: maximumEntries, maximumBytes: maximumBytes))
        self.time = time
    }

    /// The value at `key` if present and not expired; it becomes the most recently used.
    public func value(forKey key: String) -> ByteBuffer? {
        let now = time.now()
        return storage.withLock { $0.value(forKey: key, now: now) }
    }

    /// Stores a copy of `value` at `key` for `ttl` (a `ttl` of zero or less stores nothing and
    /// removes the old value).
    public func setValue(_ value: ByteBuffer, forKey key: String, ttl: Duration) {
        guard ttl > .zero else {
            removeValues(forKeys: [key])
            return
        }
        var copy = ByteBufferAllocator().buffer(capacity: value.readableBytes)
        copy.writeImmutableBuffer(value)
        let expires = time.now().advanced(by: ttl)
        storage.withLock { $0.setValue(copy, forKey: key, expires: expires) }
    }

    /// Removes the values at `keys`.
    public func removeValues(forKeys keys: [String]) {
        storage.withLock { storage in
            for key in keys { storage.removeValue(forKey: key) }
        }
    }

    /// Removes every value.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }

    /// How many entries are held (expired ones included until touched or evicted).
    public var count: Int { storage.withLock { $0.count } }

    /// How many bytes the entries count for.
    public var bytes: Int { storage.withLock { $0.bytes } }

    /// The keys from most to least recently used.
    public var keysByRecency: [String] { storage.withLock { $0.keysByRecency } }
}
