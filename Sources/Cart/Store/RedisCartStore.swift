import Logging
import RESP

/// Carts in Redis, one hash per cart: a field per line (the SKU, whose alphabet has no `_`) with
/// its quantity, and `_currency`. Keys: `<namespace>:guest:<id>` and `<namespace>:user:<id>`
/// (`emporium:cart:…`), each with the cart's time to live, renewed by every change.
///
/// Every change is one Lua script (``changeScript``, ``removeScript``, ``mergeScript``) that
/// reads the cart, applies the rules of ``StoredCart`` and writes it back: Redis runs a script
/// alone, so concurrent changes never lose a line or a unit, and no read-modify-write crosses
/// the network. A merge touches two keys in one script (a cluster would need both in one slot;
/// Emporium uses one Redis server or a replicated pair).
public struct RedisCartStore: CartStore {
    private let redis: any RedisCommandSender
    /// The key prefix, without the trailing `:` (`emporium:cart`).
    public let namespace: String
    private let logger: Logger

    /// - Parameters:
    ///   - redis: The process's Redis client.
    ///   - namespace: The key prefix, without the trailing `:` (`emporium:cart`).
    ///   - logger: Where a Redis that does not answer is logged.
    public init(redis: any RedisCommandSender, namespace: String, logger: Logger = Logger(label: "emporium.cart")) {
        self.redis = redis
        self.namespace = namespace
        self.logger = logger
    }

    /// The key of `owner`'s cart.
    public func key(_ owner: CartOwner) -> String {
        switch owner {
        case .guest(let id): "\(namespace):guest:\(id)"
        case .user(let id): "\(namespace):user:\(id)"
        }
    }

    public func cart(_ owner: CartOwner) async throws -> StoredCart? {
        let fields = try await storage { try await redis.send(RESPCommand("HGETALL", .string(key(owner)))) }
        return try Self.cart(fromHash: fields)
    }

    public func apply(_ change: LineChange, to owner: CartOwner, createIfMissing: Bool, ttl: Duration) async throws -> StoredCart {
        let reply = try await storage {
            try await redis.evalsha(
                Self.changeScript, keys: [.string(key(owner))],
                arguments: [
                    .string(change.kind.rawValue), .string(change.sku), .integer(change.quantity), .string(change.currency),
                    .integer(change.available), .integer(CartRules.maximumQuantity), .integer(CartRules.maximumLines),
                    .integer(Self.milliseconds(ttl)), .string(createIfMissing ? "1" : "0"),
                ])
        }
        let (status, detail, hash) = try Self.outcome(reply)
        switch status {
        case "ok":
            guard let cart = try Self.cart(fromHash: hash) else { throw Self.unexpected(reply) }
            return cart
        case "unknown_cart":
            throw CartError.unknownCart
        case "no_line":
            throw CartError.lineNotFound(sku: change.sku)
        case "currency":
            throw CartError.currencyMismatch(
                cart: detail.string ?? "", other: change.currency, subject: change.kind == .add ? .field("sku") : .parameter("sku"))
        case "maximum":
            throw CartError.quantityAboveMaximum(sku: change.sku, requested: detail.int ?? 0)
        case "stock":
            throw CartError.insufficientStock(sku: change.sku, requested: detail.int ?? 0, available: change.available)
        case "lines":
            throw CartError.tooManyLines(subject: .field("sku"))
        default:
            throw Self.unexpected(reply)
        }
    }

    public func remove(sku: String, from owner: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let reply = try await storage {
            try await redis.evalsha(Self.removeScript, keys: [.string(key(owner))], arguments: [.string(sku), .integer(Self.milliseconds(ttl))])
        }
        let (status, _, hash) = try Self.outcome(reply)
        guard status == "ok" else { throw Self.unexpected(reply) }
        return try Self.cart(fromHash: hash)
    }

    public func subtract(_ lines: [(sku: String, quantity: Int)], from owner: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let arguments: [RESPArgument] = [.integer(Self.milliseconds(ttl))] + lines.flatMap { [RESPArgument.string($0.sku), .integer($0.quantity)] }
        let reply = try await storage { try await redis.evalsha(Self.subtractScript, keys: [.string(key(owner))], arguments: arguments) }
        let (status, _, hash) = try Self.outcome(reply)
        guard status == "ok" else { throw Self.unexpected(reply) }
        return try Self.cart(fromHash: hash)
    }

    public func clear(_ owner: CartOwner) async throws {
        _ = try await storage { try await redis.send(RESPCommand("DEL", .string(key(owner)))) }
    }

    public func merge(guest: CartOwner, into user: CartOwner, ttl: Duration) async throws -> StoredCart? {
        let reply = try await storage {
            try await redis.evalsha(
                Self.mergeScript, keys: [.string(key(guest)), .string(key(user))],
                arguments: [.integer(CartRules.maximumQuantity), .integer(CartRules.maximumLines), .integer(Self.milliseconds(ttl))])
        }
        let (status, detail, hash) = try Self.outcome(reply)
        switch status {
        case "ok":
            return try Self.cart(fromHash: hash)
        case "currency":
            throw CartError.currencyMismatch(
                cart: detail.string ?? "", other: hash.string ?? "", subject: .parameter(CartRules.cartIDHeader))
        case "lines":
            throw CartError.tooManyLines(subject: .parameter(CartRules.cartIDHeader))
        default:
            throw Self.unexpected(reply)
        }
    }

    // MARK: Replies

    /// A script's reply `{status, detail, hash}` (detail and hash absent for some statuses).
    private static func outcome(_ reply: RESPValue) throws -> (status: String, detail: RESPValue, hash: RESPValue) {
        guard let parts = reply.array, let status = parts.first?.string else { throw unexpected(reply) }
        return (status, parts.count > 1 ? parts[1] : .null, parts.count > 2 ? parts[2] : .null)
    }

    /// The cart in an `HGETALL` reply; nil for an empty hash (no such key).
    private static func cart(fromHash reply: RESPValue) throws -> StoredCart? {
        if reply.isNull { return nil }
        guard let entries = reply.mapEntries else { throw unexpected(reply) }
        var cart = StoredCart()
        for entry in entries {
            guard let field = entry.key.string else { throw unexpected(reply) }
            if field == "_currency" {
                cart.currency = entry.value.string
            } else if !field.hasPrefix("_") {
                guard let quantity = entry.value.int else { throw unexpected(reply) }
                cart.quantities[field] = quantity
            }
        }
        return cart.isEmpty ? nil : cart
    }

    private static func unexpected(_ reply: RESPValue) -> RedisClientError {
        .unexpectedReply(command: "EVALSHA", reply: reply)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Runs `operation`, turning a Redis that does not answer (connection, time-out, a server
    /// loading or read-only) into ``CartError/storageUnavailable(reason:)``, a 503.
    private func storage<Result>(_ operation: () async throws -> Result) async throws -> Result {
        do {
            return try await operation()
        } catch let error as RedisClientError {
            if case .unexpectedReply = error { throw error }
            throw unavailable(error.description)
        } catch let error as RESPError where Self.unavailableCodes.contains(error.code) {
            throw unavailable(error.description)
        }
    }

    private func unavailable(_ reason: String) -> CartError {
        logger.warning("cart storage unavailable", metadata: ["error": "\(reason)"])
        return .storageUnavailable(reason: reason)
    }

    private static let unavailableCodes: Set<String> = ["LOADING", "BUSY", "READONLY", "MASTERDOWN", "OOM", "TRYAGAIN", "CLUSTERDOWN"]

    // MARK: Scripts

    /// Applies a ``LineChange`` by the rules of ``StoredCart/applying(_:)``, in the same order.
    ///
    /// `KEYS[1]`: the cart. `ARGV`: kind (`add`/`set`), SKU, quantity, the SKU's currency, units
    /// available, the most units per line, the most lines, the time to live in ms, whether a
    /// missing cart is made (`1`/`0`). Returns `{'ok', 0, cart}` (cart as `HGETALL`) or
    /// `{refusal, detail}`: `unknown_cart`, `no_line`, `currency` (the cart's), `maximum` and
    /// `stock` (the quantity asked for), `lines`.
    public static let changeScript = RedisScript(
        """
        local key = KEYS[1]
        local kind, sku = ARGV[1], ARGV[2]
        local quantity, currency, available = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
        local maximum, maxLines, ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
        if ARGV[9] ~= '1' and redis.call('EXISTS', key) == 0 then return {'unknown_cart'} end
        local inCart = tonumber(redis.call('HGET', key, sku) or '0')
        if kind == 'set' and inCart == 0 then return {'no_line'} end
        local cartCurrency = redis.call('HGET', key, '_currency')
        if cartCurrency and cartCurrency ~= currency then return {'currency', cartCurrency} end
        local wanted = quantity
        if kind == 'add' then wanted = inCart + quantity end
        if wanted > maximum then return {'maximum', wanted} end
        if wanted > available then return {'stock', wanted} end
        if inCart == 0 then
          local lines = redis.call('HLEN', key)
          if cartCurrency then lines = lines - 1 end
          if lines >= maxLines then return {'lines', lines} end
        end
        redis.call('HSET', key, sku, wanted, '_currency', currency)
        redis.call('PEXPIRE', key, ttl)
        return {'ok', 0, redis.call('HGETALL', key)}
        """
    )

    /// Removes a line (``StoredCart/removing(sku:)``); a cart left without lines is deleted.
    ///
    /// `KEYS[1]`: the cart. `ARGV`: the SKU, the time to live in ms. Returns `{'ok', 0, cart}`.
    public static let removeScript = RedisScript(
        """
        local key = KEYS[1]
        if redis.call('HDEL', key, ARGV[1]) == 0 then return {'ok', 0, redis.call('HGETALL', key)} end
        local left = redis.call('HLEN', key)
        if left == 0 or (left == 1 and redis.call('HEXISTS', key, '_currency') == 1) then
          redis.call('DEL', key)
          return {'ok', 0, {}}
        end
        redis.call('PEXPIRE', key, tonumber(ARGV[2]))
        return {'ok', 0, redis.call('HGETALL', key)}
        """
    )

    /// Takes quantities off lines (``StoredCart/subtracting(_:)``). `KEYS[1]`: the cart.
    /// `ARGV`: the time to live in ms, then pairs of SKU and quantity. A line left with none is
    /// removed; a cart left empty is deleted. Returns `{'ok', 0, cart}`.
    public static let subtractScript = RedisScript(
        """
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 0 then return {'ok', 0, {}} end
        for i = 2, #ARGV, 2 do
          local have = tonumber(redis.call('HGET', key, ARGV[i]))
          if have then
            local left = have - tonumber(ARGV[i + 1])
            if left > 0 then redis.call('HSET', key, ARGV[i], left) else redis.call('HDEL', key, ARGV[i]) end
          end
        end
        local left = redis.call('HLEN', key)
        if left == 0 or (left == 1 and redis.call('HEXISTS', key, '_currency') == 1) then
          redis.call('DEL', key)
          return {'ok', 0, {}}
        end
        redis.call('PEXPIRE', key, tonumber(ARGV[1]))
        return {'ok', 0, redis.call('HGETALL', key)}
        """
    )

    /// Merges a guest's cart into a user's (``StoredCart/merging(_:)``) and deletes the guest's.
    ///
    /// `KEYS[1]`: the guest cart, `KEYS[2]`: the user cart. `ARGV`: the most units per line, the
    /// most lines, the user cart's time to live in ms. Returns `{'ok', 0, user cart}`, or
    /// `{'currency', the user cart's, the guest cart's}` or `{'lines', lines}` with nothing written.
    public static let mergeScript = RedisScript(
        """
        local guestKey, userKey = KEYS[1], KEYS[2]
        local maximum, maxLines, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local guest = redis.call('HGETALL', guestKey)
        if #guest == 0 then return {'ok', 0, redis.call('HGETALL', userKey)} end
        local guestCurrency = redis.call('HGET', guestKey, '_currency')
        local userCurrency = redis.call('HGET', userKey, '_currency')
        if guestCurrency and userCurrency and guestCurrency ~= userCurrency then
          return {'currency', userCurrency, guestCurrency}
        end
        local lines = redis.call('HLEN', userKey)
        if userCurrency then lines = lines - 1 end
        for i = 1, #guest, 2 do
          if string.sub(guest[i], 1, 1) ~= '_' and redis.call('HEXISTS', userKey, guest[i]) == 0 then lines = lines + 1 end
        end
        if lines > maxLines then return {'lines', lines} end
        for i = 1, #guest, 2 do
          local sku = guest[i]
          if string.sub(sku, 1, 1) ~= '_' then
            local total = tonumber(redis.call('HGET', userKey, sku) or '0') + tonumber(guest[i + 1])
            redis.call('HSET', userKey, sku, math.min(maximum, total))
          end
        end
        if guestCurrency and not userCurrency then redis.call('HSET', userKey, '_currency', guestCurrency) end
        redis.call('DEL', guestKey)
        redis.call('PEXPIRE', userKey, ttl)
        return {'ok', 0, redis.call('HGETALL', userKey)}
        """
    )
}
