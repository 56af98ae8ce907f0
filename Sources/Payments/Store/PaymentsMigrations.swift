import Storage

/// The payments database's schema, oldest first. Released migrations never change.
enum PaymentsMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create the card vault, payments, idempotency keys and the ledger",
            statements: [
                // The vault. card_number: the number sealed with the data keys (FieldCipher, field
                // payments.card_number), NULL once the method is removed; brand, last4 and the
                // expiry are kept to show the method. The CVC is never stored.
                """
                CREATE TABLE payment_methods (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    brand TEXT NOT NULL,
                    last4 TEXT NOT NULL,
                    exp_month BIGINT NOT NULL,
                    exp_year BIGINT NOT NULL,
                    card_number TEXT,
                    created_at TEXT NOT NULL,
                    removed_at TEXT
                )
                """,
                "CREATE INDEX payment_methods_user ON payment_methods (user_id, id)",
                // Amounts in minor units of currency. lease_token/lease_until (Unix milliseconds):
                // the request that is talking to the processor about the payment, so that one
                // call at a time does; a lease that ran out (a crashed process) is taken over.
                """
                CREATE TABLE payments (
                    id TEXT PRIMARY KEY,
                    order_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    payment_method_id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'voided', 'failed')),
                    currency TEXT NOT NULL,
                    amount BIGINT NOT NULL CHECK (amount > 0),
                    captured_amount BIGINT NOT NULL CHECK (captured_amount >= 0 AND captured_amount <= amount),
                    refunded_amount BIGINT NOT NULL CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount),
                    failure_code TEXT,
                    failure_reason TEXT,
                    processor_reference TEXT,
                    lease_token TEXT,
                    lease_until BIGINT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX payments_order ON payments (order_id, id)",
                // One row per key of each operation: authorize keys per user, the others per
                // payment. result: the payment as the first call answered it (JSON), NULL for
                // an authorization (its replay answers the payment as it is now).
                """
                CREATE TABLE payment_idempotency_keys (
                    operation TEXT NOT NULL CHECK (operation IN ('authorize', 'capture', 'void', 'refund')),
                    scope TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    payment_id TEXT NOT NULL,
                    result TEXT,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (operation, scope, idempotency_key)
                )
                """,
                // Append-only: every movement of money at the processor, and every refusal.
                """
                CREATE TABLE payment_ledger (
                    id TEXT PRIMARY KEY,
                    payment_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('authorization', 'capture', 'void', 'refund', 'failure')),
                    operation TEXT NOT NULL CHECK (operation IN ('authorize', 'capture', 'void', 'refund')),
                    amount BIGINT NOT NULL CHECK (amount >= 0),
                    currency TEXT NOT NULL,
                    processor_reference TEXT,
                    failure_code TEXT,
                    reason TEXT,
                    idempotency_key TEXT,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX payment_ledger_payment ON payment_ledger (payment_id, id)",
            ]
        )
    ]
}
