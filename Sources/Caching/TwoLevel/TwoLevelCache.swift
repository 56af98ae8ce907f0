public import Logging
import Metrics
public import NIOCore
import Synchronization

/// A read-through cache in two levels: L1 in this process with a short time to live, L2 shared
/// (Redis), in front of a loader (the database).
///
/// ```swift
/// let body = try await cache.value(forKey: "product:\(id)", ttl: .seconds(300)) {
///     try await store.encodedProduct(id)   // nil: nothing to cache (e.g. not found)
/// }
/// ```
///
/// - **Single flight.** Concurrent misses for one key in this process make one L2 read and at
///   most one load; the other callers wait for its result.
/// - **Invalidation.** ``invalidate(keys:)`` removes keys from L1 and L2 and detaches loads in
///   flight for them, so a load that read the old data does not store it afterwards. It is the
///   entry point for writers (after their transaction commits) and for event handlers (other
///   processes' writes). L1 entries in *other* processes live until their short L1 TTL runs out
///   unless an event reaches them.
/// - **Degradation.** When L2 fails (Redis down, slow, refusing), reads go to the loader and
///   writes to L1 only; the failure is logged (at most once per ``Configuration/l2RetryDelay``)
///   and L2 is skipped for that delay instead of being asked again on every request. Callers only
///   ever see the loader's own errors.
public final class TwoLevelCache: Sendable {
    /// Time limits and sizes.
    public struct Configuration: Sendable {
        /// The longest an entry lives in L1; shorter than the L2 TTL so that processes that miss
        /// an invalidation event converge quickly.
        public var l1TTL: Duration
        /// The most entries L1 holds.
        public var l1MaximumEntries: Int
        /// The most bytes (keys plus values) L1 holds.
        public var l1MaximumBytes: Int
        /// How long L2 is left alone after it failed.
        public var l2RetryDelay: Duration

        /// Creates a configuration.
        public init(
            l1TTL: Duration = .seconds(5),
            l1MaximumEntries: Int = 10_000,
            l1MaximumBytes: Int = 32 << 20,
            l2RetryDelay: Duration = .seconds(1)
        ) {
            self.l1TTL = l1TTL
            self.l1MaximumEntries = l1MaximumEntries
            self.l1MaximumBytes = l1MaximumBytes
            self.l2RetryDelay = l2RetryDelay
        }
    }

    /// The cache's name, in logs and metrics (`catalog.products`).
    public let name: String
    /// The configuration.
    public let configuration: Configuration
    /// The in-process level.
    public let l1: InMemoryCache
    private let l2: (any Cache)?
    private let flights = SingleFlight<ByteBuffer?>()
    private let l2SuspendedUntil = Mutex<ContinuousClock.Instant?>(nil)
    private let time: TimeSource
    private let logger: Logger
    private let lookups: Lookups

    /// Creates a cache.
    ///
    /// - Parameters:
    ///   - name: Shown in logs and in the `cache_lookups_total` metric.
    ///   - l2: The shared level (a ``RedisCache``); `nil` for L1 only (embedded mode).
    ///   - configuration: L1 limits and the L2 retry delay.
    ///   - time: The clock for L1 expiry and the L2 retry delay.
    ///   - logger: Receives L2 failures (warning) and invalidation failures.
    public init(
        name: String,
        l2: (any Cache)?,
        configuration: Configuration = Configuration(),
        time: TimeSource = .continuous,
        logger: Logger
    ) {
        self.name = name
        self.l2 = l2
        self.configuration = configuration
        self.l1 = InMemoryCache(
            maximumEntries: configuration.l1MaximumEntries,
            maximumBytes: configuration.l1MaximumBytes,
            time: time
        )
        self.time = time
        var logger = logger
        logger[metadataKey: "cache"] = .string(name)
        self.logger = logger
        self.lookups = Lookups(cache: name)
    }

    /// The value at `key`: from L1, else L2, else `load` (whose non-nil result is stored in both
    /// levels, in L1 for at most ``Configuration/l1TTL``).
    ///
    /// - Parameters:
    ///   - key: The key, unique within this cache.
    ///   - ttl: How long a loaded value lives in L2 (and at most in L1).
    ///   - load: Produces the value on a miss; `nil` means there is nothing to cache, and is
    ///     returned as is.
    /// - Throws: only what `load` throws.
    public func value(
        forKey key: String,
        ttl: Duration,
        load: @Sendable () async throws -> ByteBuffer?
    ) async throws -> ByteBuffer? {
        if let value = l1.value(forKey: key) {
            lookups.l1Hit.increment()
            return value
        }
        return try await flights.run(key) { ticket in
            // A flight that finished just before this one started may have filled L1.
            if let value = l1.value(forKey: key) {
                lookups.l1Hit.increment()
                return value
            }
            let l1TTL = min(ttl, configuration.l1TTL)
            if let value = await l2Value(forKey: key) {
                lookups.l2Hit.increment()
                ticket.ifCurrent { l1.setValue(value, forKey: key, ttl: l1TTL) }
                return value
            }
            lookups.load.increment()
            guard let value = try await load() else { return nil }
            ticket.ifCurrent { l1.setValue(value, forKey: key, ttl: l1TTL) }
            guard ticket.isCurrent else { return value }
            await storeInL2(value, forKey: key, ttl: ttl)
            if !ticket.isCurrent {
                // Invalidated while storing: the invalidation's DEL may have run before our SET.
                await removeFromL2([key])
            }
            return value
        }
    }

    /// Removes `keys` from both levels; loads in flight for them will not store their results.
    ///
    /// Call it after the transaction that changed the underlying data commits, and from the
    /// handlers of events announcing such changes. Never throws: an L2 failure is logged, and the
    /// L2 entry then lives until its TTL.
    public func invalidate(keys: [String]) async {
        guard !keys.isEmpty else { return }
        for key in keys { flights.forget(key) }
        l1.removeValues(forKeys: keys)
        await removeFromL2(keys)
    }

    /// Removes `keys` from this process's level only, and detaches loads in flight for them: for
    /// handlers of events announcing a change another process made (which already cleared L2).
    public func invalidateLocally(keys: [String]) {
        for key in keys { flights.forget(key) }
        l1.removeValues(forKeys: keys)
    }

    /// Removes `key` from both levels; see ``invalidate(keys:)``.
    public func invalidate(key: String) async {
        await invalidate(keys: [key])
    }

    /// How many callers wait for another caller's load (for tests).
    var waitingCallers: Int { flights.waiterCount }

    // MARK: L2

    private func l2Value(forKey key: String) async -> ByteBuffer? {
        guard let l2, isL2Usable() else { return nil }
        do {
            return try await l2.value(forKey: key)
        } catch {
            l2Failed(error, operation: "read", keys: [key])
            return nil
        }
    }

    private func storeInL2(_ value: ByteBuffer, forKey key: String, ttl: Duration) async {
        guard let l2, isL2Usable() else { return }
        do {
            try await l2.setValue(value, forKey: key, ttl: ttl)
        } catch {
            l2Failed(error, operation: "write", keys: [key])
        }
    }

    /// Always tries, even while L2 is suspended: a missed delete leaves stale data behind.
    private func removeFromL2(_ keys: [String]) async {
        guard let l2 else { return }
        do {
            try await l2.removeValues(forKeys: keys)
        } catch {
            l2Failed(error, operation: "invalidate", keys: keys)
        }
    }

    private func isL2Usable() -> Bool {
        let now = time.now()
        return l2SuspendedUntil.withLock { until in
            guard let suspended = until else { return true }
            if now >= suspended {
                until = nil
                return true
            }
            return false
        }
    }

    private func l2Failed(_ error: any Error, operation: String, keys: [String]) {
        lookups.l2Error.increment()
        let until = time.now().advanced(by: configuration.l2RetryDelay)
        let wasUsable = l2SuspendedUntil.withLock { suspended in
            defer { suspended = until }
            return suspended == nil
        }
        if wasUsable || operation == "invalidate" {
            logger.warning(
                "cache L2 failed; using the loader and L1 only",
                metadata: [
                    "operation": .string(operation),
                    "keys": .string(keys.prefix(5).joined(separator: ",")),
                    "error": .string(String(describing: error)),
                    "retry_after_ms": .stringConvertible(Int(configuration.l2RetryDelay / .milliseconds(1))),
                ]
            )
        }
    }
}

/// The `cache_lookups_total{cache, result}` counters.
private struct Lookups: Sendable {
    let l1Hit: Counter
    let l2Hit: Counter
    let load: Counter
    let l2Error: Counter

    init(cache: String) {
        func counter(_ result: String) -> Counter {
            Counter(label: "cache_lookups_total", dimensions: [("cache", cache), ("result", result)])
        }
        l1Hit = counter("l1_hit")
        l2Hit = counter("l2_hit")
        load = counter("load")
        l2Error = counter("l2_error")
    }
}
