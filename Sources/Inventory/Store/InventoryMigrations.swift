import Storage

/// The inventory database's schema, oldest first. Released migrations never change.
///
/// Stock is kept per SKU and warehouse (one warehouse, `main`, for now: the key is shaped for
/// more). The CHECK constraints are the last line against overselling: no statement can leave
/// fewer units on hand than reserved, or a negative count.
enum InventoryMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create stock, reservations and reservation lines",
            statements: [
                """
                CREATE TABLE inventory_stock (
                    sku TEXT NOT NULL,
                    warehouse TEXT NOT NULL DEFAULT 'main',
                    on_hand BIGINT NOT NULL CHECK (on_hand >= 0),
                    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                    updated_at TEXT NOT NULL,
                    CHECK (reserved <= on_hand),
                    PRIMARY KEY (sku, warehouse)
                )
                """,
                """
                CREATE TABLE inventory_reservations (
                    order_id TEXT PRIMARY KEY,
                    status TEXT NOT NULL CHECK (status IN ('reserved', 'released', 'expired', 'committed')),
                    expires_at TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // The expiry job's scan: only reservations still holding units.
                "CREATE INDEX inventory_reservations_expiry ON inventory_reservations (expires_at) WHERE status = 'reserved'",
                """
                CREATE TABLE inventory_reservation_lines (
                    order_id TEXT NOT NULL REFERENCES inventory_reservations (order_id),
                    position INTEGER NOT NULL,
                    sku TEXT NOT NULL,
                    warehouse TEXT NOT NULL DEFAULT 'main',
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    PRIMARY KEY (order_id, position)
                )
                """,
            ]
        ),
        Migration(
            version: 2,
            name: "reservations kept until shipment",
            statements: [
                // When the order was confirmed (`InventoryAPI.keep`): from then on the reservation
                // holds its units until it is committed or released, never expires.
                "ALTER TABLE inventory_reservations ADD COLUMN kept_at TEXT"
            ]
        ),
    ]
}
