-- Webhooks: the secret of a simulation's webhook, the outbox (one message per final
-- transition, written in the same transaction) and the log of delivery attempts.

ALTER TABLE simulations ADD COLUMN webhook_secret TEXT;

CREATE TABLE webhook_messages (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    simulation_id    TEXT NOT NULL REFERENCES simulations (id),
    event            TEXT NOT NULL,
    url              TEXT NOT NULL,
    secret           TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    locked_until     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_messages_due ON webhook_messages (state, next_attempt_at);
CREATE INDEX webhook_messages_simulation ON webhook_messages (simulation_id);

CREATE TABLE webhook_deliveries (
    message_id   TEXT NOT NULL REFERENCES webhook_messages (id),
    attempt      INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (message_id, attempt)
);
