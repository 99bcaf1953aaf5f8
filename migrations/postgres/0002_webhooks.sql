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
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_messages_due ON webhook_messages (state, next_attempt_at);
CREATE INDEX webhook_messages_simulation ON webhook_messages (simulation_id);

CREATE TABLE webhook_deliveries (
    message_id   TEXT NOT NULL REFERENCES webhook_messages (id),
    attempt      BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (message_id, attempt)
);
