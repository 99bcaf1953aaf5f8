-- montecell's service schema (SQLite). migrations/postgres/ holds the same schema for Postgres.
-- Identifiers are UUIDv7 text (time-ordered: pagination cursors are ids); times are Unix
-- milliseconds; JSON documents are text, written and read by the application.

CREATE TABLE models (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    filename    TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    summary     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX models_tenant_id ON models (tenant_id, id);

-- One row per simulation; its status columns are the job state machine of docs/jobs.md.
CREATE TABLE simulations (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL,
    model_id          TEXT NOT NULL REFERENCES models (id),
    spec              TEXT NOT NULL,
    webhook           TEXT,
    status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    attempt           INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL,
    iterations_done   INTEGER NOT NULL DEFAULT 0,
    iterations_total  INTEGER NOT NULL,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    worker            TEXT,
    error             TEXT,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    heartbeat_at      INTEGER,
    finished_at       INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX simulations_tenant_id ON simulations (tenant_id, id);
CREATE INDEX simulations_tenant_status ON simulations (tenant_id, status, id);
CREATE INDEX simulations_status ON simulations (status);

-- At most one result per simulation: the primary key makes a redelivered job's write a no-op.
CREATE TABLE results (
    simulation_id  TEXT PRIMARY KEY REFERENCES simulations (id),
    result         TEXT NOT NULL,
    samples        TEXT NOT NULL,
    attempt        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);

-- Idempotency-Key of POST /v1/simulations: the first request's body hash and response.
CREATE TABLE idempotency_keys (
    tenant_id       TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    response_status INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
