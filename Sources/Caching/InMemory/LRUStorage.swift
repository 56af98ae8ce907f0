import NIOCore

/// The data structure behind ``InMemoryCache``: a dictionary into a doubly linked list kept in
/// arrays, most recently used first, with per-entry expiry and bounds on entries and bytes.
///
/// Every operation is O(1) (amortised). Not thread-safe: ``InMemoryCache`` guards it with a mutex.
struct LRUStorage {
    private struct Node {
        var key: String
        var value: ByteBuffer
        var expires: ContinuousClock.Instant
        var cost: Int
        var previous: Int?
        var next: Int?
    }

    let maximumEntries: Int
    let maximumBytes: Int

    private var index: [String: Int] = [:]
    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    private var head: Int?
    private var tail: Int?
    /// The sum of the entries' costs.
    private(set) var bytes = 0

    init(maximumEntries: Int, maximumBytes: Int) {
        precondition(maximumEntries > 0 && maximumBytes > 0, "a cache needs room for at least one entry")
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// How many entries are stored, expired ones included until they are touched or evicted.
    var count: Int { index.count }

    /// What an entry counts against ``maximumBytes``: its key and value bytes.
    static func cost(key: String, value: ByteBuffer) -> Int {
        key.utf8.count + value.readableBytes
    }

    /// The value at `key` if it has not expired at `now`; marks it most recently used. An expired
    /// entry is removed.
    mutating func value(forKey key: String, now: ContinuousClock.Instant) -> ByteBuffer? {
        guard let slot = index[key] else { return nil }
        guard nodes[slot].expires > now else {
            remove(slot: slot)
            return nil
        }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Stores `value` until `expires`, as the most recently used entry, then evicts least
    /// recently used entries until both bounds hold. A value larger than ``maximumBytes`` on its
    /// own is not stored (and replaces nothing: the old value at `key` is removed).
    mutating func setValue(_ value: ByteBuffer, forKey key: String, expires: ContinuousClock.Instant) {
        let cost = Self.cost(key: key, value: value)
        if let slot = index[key] { remove(slot: slot) }
        guard cost <= maximumBytes else { return }
        let node = Node(key: key, value: value, expires: expires, cost: cost, previous: nil, next: head)
        let slot: Int
        if let free = freeSlots.popLast() {
            nodes[free] = node
            slot = free
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
        index[key] = slot
        bytes += cost
        while index.count > maximumEntries || bytes > maximumBytes, let last = tail {
            remove(slot: last)
        }
    }

    /// Removes the entry at `key`, if any.
    mutating func removeValue(forKey key: String) {
        if let slot = index[key] { remove(slot: slot) }
    }

    /// Removes every entry.
    mutating func removeAll() {
        self = LRUStorage(maximumEntries: maximumEntries, maximumBytes: maximumBytes)
    }

    /// The keys from most to least recently used (for tests and debugging).
    var keysByRecency: [String] {
        var keys: [String] = []
        var cursor = head
        while let slot = cursor {
            keys.append(nodes[slot].key)
            cursor = nodes[slot].next
        }
        return keys
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if let previous { nodes[previous].next = next } else { head = next }
        if let next { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = nil
        nodes[slot].next = nil
    }

    private mutating func moveToFront(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        nodes[slot].next = head
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
    }

    private mutating func remove(slot: Int) {
        unlink(slot)
        index[nodes[slot].key] = nil
        bytes -= nodes[slot].cost
        // Drop the value now rather than when the slot is reused.
        nodes[slot].value = ByteBuffer()
        nodes[slot].key = ""
        freeSlots.append(slot)
    }
}
