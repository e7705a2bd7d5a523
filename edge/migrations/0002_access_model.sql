-- Migration number: 0002
-- The access model (issue #4): superAdmins, machine credentials, the Okta settings, local
-- groups, the audit log, and the counters behind the admin-write rate limits. Emails are stored
-- lowercased by the Worker; times are RFC 3339 UTC text.

-- The built-in superAdmin group: granted by another superAdmin or by the deploy-time bootstrap
-- list. Sync never touches this table and no Okta group maps to it.
CREATE TABLE super_admins (
    email      TEXT NOT NULL PRIMARY KEY,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL
) STRICT;

-- API keys for machine clients. Only a keyed hash of the secret is stored; the secret is shown
-- once, when the key is issued.
CREATE TABLE api_keys (
    id           TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    revoked_by   TEXT
) STRICT;

-- Cloudflare Access service tokens, known by their common name, with the scopes they get.
CREATE TABLE service_tokens (
    common_name TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- The Okta API settings: one row. The token is AES-256-GCM ciphertext bound (as associated
-- data) to the tenant URL and App ID; its plaintext is never stored.
CREATE TABLE okta_settings (
    id                INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    tenant_url        TEXT,
    app_id            TEXT,
    token_ciphertext  TEXT,
    token_last4       TEXT,
    token_set_by      TEXT,
    token_set_at      TEXT,
    sync_enabled      INTEGER NOT NULL DEFAULT 0 CHECK (sync_enabled IN (0, 1)),
    updated_by        TEXT,
    updated_at        TEXT,
    version           INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO okta_settings (id) VALUES (1);

-- Groups: synced from Okta (issue #5) or made by hand while sync is off.
CREATE TABLE groups (
    id          TEXT NOT NULL PRIMARY KEY,
    source      TEXT NOT NULL CHECK (source IN ('okta', 'local')),
    name        TEXT NOT NULL,
    description TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Every admin action, written in the same D1 batch as the change. Never holds secrets.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('person', 'machine', 'system')),
    action     TEXT NOT NULL,
    target     TEXT,
    before     TEXT,
    after      TEXT
) STRICT;
CREATE INDEX audit_log_by_time ON audit_log (at DESC, id DESC);

-- Fixed-window counters for the rate limits on test-connection and admin writes.
CREATE TABLE rate_limit_windows (
    bucket       TEXT NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
) STRICT;

INSERT INTO schema_version (version, description) VALUES (2, 'access model');
