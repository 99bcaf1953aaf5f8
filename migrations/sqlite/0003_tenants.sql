-- Tenants and their API keys. Every model, simulation, blob reference and webhook message
-- carries a tenant_id naming a row here; requests without a key (loopback only) act for
-- 'default'. A tenant's NULL limits fall back to the settings (tenant_max_running,
-- max_iterations, max_upload_bytes).

CREATE TABLE tenants (
    id                TEXT PRIMARY KEY,
    max_running       BIGINT,
    max_iterations    BIGINT,
    max_upload_bytes  BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
INSERT INTO tenants (id, created_at, updated_at) VALUES ('default', 0, 0);
INSERT INTO tenants (id, created_at, updated_at)
    SELECT DISTINCT tenant_id, 0, 0 FROM models WHERE tenant_id <> 'default';

-- A key is shown once; only its SHA-256 is kept. `id` is the public part of the key
-- (mc_<id>…), by which it is found, listed and revoked.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
