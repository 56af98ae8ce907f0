import Storage

/// The orders database's schema, oldest first. Released migrations never change.
enum OrdersMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create order streams, their projections, shipping addresses and checkout keys",
            statements: [
                // The source of truth: one append-only stream per order. The primary key is the
                // optimistic concurrency: two writers appending at the same version cannot both
                // commit. data: the event's JSON (sorted keys).
                """
                CREATE TABLE order_events (
                    order_id TEXT NOT NULL,
                    version BIGINT NOT NULL CHECK (version >= 1),
                    type TEXT NOT NULL,
                    data TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    PRIMARY KEY (order_id, version)
                )
                """,
                // Projection: one row per order, rewritten from the fold with every append (in
                // its transaction) and by `emporium orders replay`. intent: 'cancel' or 'ship'
                // while that work is under way.
                """
                CREATE TABLE orders (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    total BIGINT NOT NULL,
                    refunded_amount BIGINT NOT NULL,
                    item_count BIGINT NOT NULL,
                    payment_method_id TEXT NOT NULL,
                    payment_id TEXT,
                    cancellation_reason TEXT,
                    cancellation_code TEXT,
                    intent TEXT,
                    version BIGINT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX orders_user ON orders (user_id, id)",
                "CREATE INDEX orders_status ON orders (status, id)",
                // What the recovery scans: orders whose work is unfinished, oldest change first.
                """
                CREATE INDEX orders_unsettled ON orders (updated_at)
                WHERE status IN ('pending', 'stock_reserved', 'payment_authorized') OR intent IS NOT NULL
                """,
                // Projection: the lines of each order, written once at placement.
                """
                CREATE TABLE order_lines (
                    order_id TEXT NOT NULL,
                    position BIGINT NOT NULL,
                    sku TEXT NOT NULL,
                    product_id TEXT NOT NULL,
                    product_name TEXT NOT NULL,
                    quantity BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    unit_price BIGINT NOT NULL,
                    line_total BIGINT NOT NULL,
                    PRIMARY KEY (order_id, position)
                )
                """,
                // Personal data outside the immutable streams: the shipping address, sealed with
                // the data keys (field orders.shipping_address), re-sealed by rotate-data-key.
                """
                CREATE TABLE order_addresses (
                    order_id TEXT PRIMARY KEY,
                    address TEXT NOT NULL
                )
                """,
                // One row per checkout key of a user: the first request's fingerprint and order.
                """
                CREATE TABLE checkout_keys (
                    user_id TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (user_id, idempotency_key)
                )
                """,
            ]
        )
    ]
}
