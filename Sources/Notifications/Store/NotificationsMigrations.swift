import Storage

/// The notifications database's schema, oldest first. Released migrations never change.
enum NotificationsMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "create recipients, preferences, in-app notifications, webhooks and deliveries",
            statements: [
                // Where mail goes when the users service cannot say: the email of
                // identity.user.registered, sealed with the data keys (field
                // notifications.recipient_email).
                """
                CREATE TABLE recipients (
                    user_id TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // A user's opt-outs: JSON {"email": ["order_shipped"], "in_app": [...]}.
                """
                CREATE TABLE preferences (
                    user_id TEXT PRIMARY KEY,
                    opted_out TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // The in-app list, rendered when the event arrives. subject_id: what it is about
                // (an order id), for links.
                """
                CREATE TABLE notifications (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    event_id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    subject_id TEXT,
                    title TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    read_at TEXT
                )
                """,
                "CREATE INDEX notifications_user ON notifications (user_id, id)",
                // Webhook subscriptions. scope: 'own' (events about the owner) or 'shop' (every
                // event, an administrator's). events: a JSON array of types. secret: sealed
                // (field notifications.webhook_secret).
                """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY,
                    owner_id TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX webhooks_owner ON webhooks (owner_id, id)",
                // One row per message to send: planned with the event (in its inbox transaction),
                // sent by the dispatcher. target: '' for email, the webhook's id for a webhook.
                // event: the CloudEvent's JSON. next_attempt_at: when it is due (while one
                // dispatcher holds it: when that lease ends). status: pending, sent, failed
                // (refused for good) or dead (every try failed).
                """
                CREATE TABLE deliveries (
                    id TEXT PRIMARY KEY,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    target TEXT NOT NULL,
                    event TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    next_attempt_at TEXT NOT NULL,
                    last_error TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    sent_at TEXT,
                    UNIQUE (event_id, channel, target)
                )
                """,
                "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'",
                "CREATE INDEX deliveries_user ON deliveries (user_id, id)",
            ]
        )
    ]
}
