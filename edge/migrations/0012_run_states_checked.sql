-- Migration number: 0012
-- A run's state and failure code are closed sets (issue #12): `core`'s `SyncState` and
-- `SyncFailure`. SQLite adds a CHECK only by rebuilding the table, so `sync_runs` is copied into
-- one that has them (one row per run: small). A state this product never wrote would read as a
-- run that did not finish, so it is kept as one.
CREATE TABLE sync_runs_checked (
    id               TEXT NOT NULL PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN
                         ('running', 'needs_confirmation', 'succeeded', 'failed', 'discarded')),
    trigger          TEXT NOT NULL,
    started_by       TEXT NOT NULL,
    dry_run          INTEGER NOT NULL,
    full             INTEGER NOT NULL,
    started_at       TEXT NOT NULL,
    ended_at         TEXT,
    progress         TEXT NOT NULL DEFAULT '{}',
    counts           TEXT,
    okta_requests    INTEGER NOT NULL DEFAULT 0,
    rate_limit_waits INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    held_reason      TEXT,
    diff             TEXT,
    rows_written     INTEGER NOT NULL DEFAULT 0,
    error_code       TEXT CHECK (error_code IN
                         ('okta_token_rejected', 'okta_permission_denied', 'okta_not_found',
                          'okta_rate_limited', 'okta_unavailable', 'okta_unusable',
                          'not_configured', 'token_key_changed', 'deployment_tenant_mismatch',
                          'storage_failed', 'internal_error', 'interrupted'))
) STRICT;

INSERT INTO sync_runs_checked
    SELECT id,
           CASE WHEN state IN ('running', 'needs_confirmation', 'succeeded', 'failed', 'discarded')
                THEN state ELSE 'failed' END,
           trigger, started_by, dry_run, full, started_at, ended_at, progress, counts,
           okta_requests, rate_limit_waits, error, held_reason, diff, rows_written,
           CASE WHEN state NOT IN ('running', 'needs_confirmation', 'succeeded', 'failed', 'discarded')
                THEN 'interrupted'
                WHEN error_code IN ('okta_token_rejected', 'okta_permission_denied', 'okta_not_found',
                          'okta_rate_limited', 'okta_unavailable', 'okta_unusable',
                          'not_configured', 'token_key_changed', 'deployment_tenant_mismatch',
                          'storage_failed', 'internal_error', 'interrupted')
                THEN error_code
                WHEN error_code IS NULL THEN NULL
                ELSE 'internal_error' END
    FROM sync_runs;

DROP TABLE sync_runs;
ALTER TABLE sync_runs_checked RENAME TO sync_runs;
CREATE INDEX sync_runs_by_start ON sync_runs (started_at DESC);

INSERT INTO schema_version (version, description) VALUES (12, 'run states checked');
