-- Migration number: 0003
-- The sync engine (issue #5): Okta groups with their members and users, group roles (archived,
-- not deleted, when a group leaves the app), sync runs with the data they staged, invitations.

ALTER TABLE groups ADD COLUMN okta_last_membership_updated TEXT;
ALTER TABLE groups ADD COLUMN last_synced_at TEXT;
-- Bumped on every change of the group's roles: the optimistic-concurrency version (ETag).
ALTER TABLE groups ADD COLUMN roles_version INTEGER NOT NULL DEFAULT 0;
-- A nonce of the request that last bumped the version, so that only that request's batch
-- replaces the roles (a concurrent request with the same stale version changes nothing).
ALTER TABLE groups ADD COLUMN roles_writer TEXT;

-- The Okta users who are members of synced groups. Emails are stored lowercased.
CREATE TABLE okta_users (
    id         TEXT NOT NULL PRIMARY KEY,
    email      TEXT,
    login      TEXT,
    first_name TEXT,
    last_name  TEXT,
    status     TEXT NOT NULL
) STRICT;
CREATE INDEX okta_users_by_email ON okta_users (email);

CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- The roles each group grants. Bound to the group id, so a rename keeps them.
CREATE TABLE group_roles (
    group_id TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (group_id, role)
) STRICT, WITHOUT ROWID;

-- Roles of groups that left the app: kept for the record, never granted again by themselves.
CREATE TABLE archived_group_roles (
    group_id    TEXT NOT NULL,
    role        TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    run_id      TEXT,
    PRIMARY KEY (group_id, role, archived_at)
) STRICT;

-- One row per sync run, for the API and the history screen.
CREATE TABLE sync_runs (
    id               TEXT NOT NULL PRIMARY KEY,
    state            TEXT NOT NULL,
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
    diff             TEXT
) STRICT;
CREATE INDEX sync_runs_by_start ON sync_runs (started_at DESC);

-- What a run fetched from Okta, until its commit (or its end) deletes it.
CREATE TABLE sync_staging (
    run_id  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, key)
) STRICT;

CREATE TABLE invitations (
    email        TEXT NOT NULL PRIMARY KEY,
    okta_user_id TEXT,
    status       TEXT NOT NULL CHECK (status IN ('invited', 'active')),
    invited_by   TEXT NOT NULL,
    invited_at   TEXT NOT NULL,
    activated_at TEXT
) STRICT;

INSERT INTO schema_version (version, description) VALUES (3, 'sync engine');
