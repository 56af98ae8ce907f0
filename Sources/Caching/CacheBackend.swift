public import Logging
public import RESP

/// Where a process's caches and rate limiters keep shared state: in Redis, or (embedded mode, no
/// `redis.url`) nowhere but this process. The runtime makes one per process and hands each
/// service a copy scoped to its own key namespace; services make their caches from it without
/// knowing which it is.
public struct CacheBackend: Sendable {
    private enum Store: Sendable {
        case inMemory
        case redis(any RedisCommandSender)
    }

    private let store: Store
    /// The key prefix of everything made from this backend (`emporium:catalog`); empty in memory.
    public let namespace: String
    /// How long one cache command may take in Redis before it counts as a miss.
    public var cacheCommandTimeout: Duration = .seconds(1)
    /// How long two-level caches made by this backend keep an entry in process (`cache.l1TTL`).
    public var l1TTL: Duration = .seconds(5)

    private init(store: Store, namespace: String) {
        self.store = store
        self.namespace = namespace
    }

    /// Caches in this process only (L1 alone), rate limits counted in this process.
    public static let inMemory = CacheBackend(store: .inMemory, namespace: "emporium")

    /// Caches with Redis as L2 and rate limits in Redis, under keys starting `namespace:`.
    public static func redis(_ redis: any RedisCommandSender, namespace: String = "emporium") -> CacheBackend {
        CacheBackend(store: .redis(redis), namespace: namespace)
    }

    /// Whether shared state lives in Redis.
    public var isShared: Bool {
        if case .redis = store { return true }
        return false
    }

    /// The Redis client behind this backend, for services whose data (not a cache of it) lives
    /// in Redis, such as the cart; nil when the backend is this process only (such a service
    /// then keeps its data in memory). Keys written with it start with ``namespace`` and `:`.
    public var redis: (any RedisCommandSender)? {
        if case .redis(let redis) = store { return redis }
        return nil
    }

    /// The same backend with `component` appended to the namespace (`emporium` → `emporium:catalog`).
    public func scoped(to component: String) -> CacheBackend {
        var scoped = CacheBackend(store: store, namespace: "\(namespace):\(component)")
        scoped.cacheCommandTimeout = cacheCommandTimeout
        scoped.l1TTL = l1TTL
        return scoped
    }

    /// A read-through cache named `name`: L1 in this process, plus Redis under
    /// `<namespace>:<name>:` when the backend is shared.
    public func makeTwoLevelCache(
        name: String,
        configuration: TwoLevelCache.Configuration? = nil,
        logger: Logger
    ) -> TwoLevelCache {
        let configuration = configuration ?? TwoLevelCache.Configuration(l1TTL: l1TTL)
        let qualified = "\(namespace):\(name)"
        switch store {
        case .inMemory:
            return TwoLevelCache(name: qualified, l2: nil, configuration: configuration, logger: logger)
        case .redis(let redis):
            let l2 = RedisCache(redis: redis, namespace: qualified, commandTimeout: cacheCommandTimeout)
            return TwoLevelCache(name: qualified, l2: l2, configuration: configuration, logger: logger)
        }
    }

    /// A rate limiter named `name` with `policy`: in Redis under `<namespace>:ratelimit:<name>:`
    /// when the backend is shared, else in this process.
    public func makeRateLimiter(name: String, policy: RateLimitPolicy) -> any RateLimiter {
        switch store {
        case .inMemory:
            return InMemoryRateLimiter(policy: policy)
        case .redis(let redis):
            return RedisRateLimiter(redis: redis, namespace: "\(namespace):ratelimit:\(name)", policy: policy)
        }
    }
}
