-- Migration number: 0005
-- Sync at any size (issue #10). The memberships and users synced from Okta (up to millions of
-- rows) become versioned rows: a run writes its changes as versions of the next generation,
-- invisible to readers, in as many bounded statements and invocations as it needs; the switch
-- is one small batch that sets the committed generation (with the group rows, at most one per
-- assigned group). Readers keep reading `group_members` and `okta_users`, now views of the
-- committed generation. What a run fetched is staged as rows (one per group, membership and
-- user), never as one value per group: D1 caps a value at 2 MB.

-- The generation readers see. A row is visible when from_gen <= committed and its to_gen is
-- unset or later than committed. `memberships` counts the committed memberships (the guard
-- compares a run's removals with it, without counting a million rows).
CREATE TABLE sync_generation (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    committed   INTEGER NOT NULL,
    memberships INTEGER NOT NULL
) STRICT;
INSERT INTO sync_generation (id, committed, memberships)
    VALUES (1, 1, (SELECT COUNT(*) FROM group_members m JOIN groups g ON g.id = m.group_id));

CREATE TABLE group_member_versions (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    from_gen INTEGER NOT NULL,
    to_gen   INTEGER,
    PRIMARY KEY (group_id, user_id, from_gen)
) STRICT, WITHOUT ROWID;
INSERT INTO group_member_versions (group_id, user_id, from_gen)
    SELECT group_id, user_id, 1 FROM group_members;
DROP TABLE group_members;
CREATE INDEX group_member_versions_by_user ON group_member_versions (user_id, group_id);
CREATE INDEX group_member_versions_by_start ON group_member_versions (from_gen);
CREATE INDEX group_member_versions_by_end ON group_member_versions (to_gen)
    WHERE to_gen IS NOT NULL;

CREATE TABLE okta_user_versions (
    id         TEXT NOT NULL,
    email      TEXT,
    login      TEXT,
    first_name TEXT,
    last_name  TEXT,
    status     TEXT NOT NULL,
    from_gen   INTEGER NOT NULL,
    to_gen     INTEGER,
    PRIMARY KEY (id, from_gen)
) STRICT;
INSERT INTO okta_user_versions (id, email, login, first_name, last_name, status, from_gen)
    SELECT id, email, login, first_name, last_name, status, 1 FROM okta_users;
DROP TABLE okta_users;
CREATE INDEX okta_user_versions_by_email ON okta_user_versions (email);
CREATE INDEX okta_user_versions_by_start ON okta_user_versions (from_gen);
CREATE INDEX okta_user_versions_by_end ON okta_user_versions (to_gen) WHERE to_gen IS NOT NULL;
-- Incremental runs re-check the users who were not active.
CREATE INDEX okta_user_versions_not_active ON okta_user_versions (id) WHERE status <> 'ACTIVE';

-- The committed memberships, of groups that exist (a removed group's memberships are deleted
-- after the switch, in bounded pieces).
CREATE VIEW group_members AS
    SELECT m.group_id, m.user_id FROM group_member_versions m, sync_generation s
    WHERE s.id = 1 AND m.from_gen <= s.committed AND (m.to_gen IS NULL OR m.to_gen > s.committed)
      AND EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id);

CREATE VIEW okta_users AS
    SELECT u.id, u.email, u.login, u.first_name, u.last_name, u.status
    FROM okta_user_versions u, sync_generation s
    WHERE s.id = 1 AND u.from_gen <= s.committed AND (u.to_gen IS NULL OR u.to_gen > s.committed);

-- Groups removed by a commit whose membership versions are still to be deleted.
CREATE TABLE sync_removed_groups (
    group_id TEXT NOT NULL PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- What a run fetched, one row per item.
DROP TABLE sync_staging;

-- The app's groups as read. `members`: 'kept' (the stored members stay), 'pending' (to be read),
-- 'reading' (pages staged so far; `next_page` is the next one), 'read'.
CREATE TABLE sync_staged_groups (
    run_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    lmu         TEXT,
    members     TEXT NOT NULL DEFAULT 'kept'
                CHECK (members IN ('kept', 'pending', 'reading', 'read')),
    next_page   TEXT,
    PRIMARY KEY (run_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_staged_groups_to_read ON sync_staged_groups (run_id, members, id);

CREATE TABLE sync_staged_members (
    run_id   TEXT NOT NULL,
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (run_id, group_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_staged_users (
    run_id     TEXT NOT NULL,
    id         TEXT NOT NULL,
    email      TEXT,
    login      TEXT,
    first_name TEXT,
    last_name  TEXT,
    status     TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
) STRICT, WITHOUT ROWID;

-- Users read with a non-active status (incremental runs): everyone else is active.
CREATE TABLE sync_staged_statuses (
    run_id TEXT NOT NULL,
    id     TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
) STRICT, WITHOUT ROWID;

-- A run's error as a stable code (the sentence is in `error`; the raw cause only in the log).
ALTER TABLE sync_runs ADD COLUMN error_code TEXT;

INSERT INTO schema_version (version, description) VALUES (5, 'versioned snapshot, row staging');
