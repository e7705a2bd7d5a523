-- Migration number: 0014
-- Okta Event Hooks in (issue #15): Okta tells the Worker that groups or users changed, and the
-- Worker starts an incremental run that reads them again. The events are hints; the run reads
-- the truth from the Okta API as every run does.

-- The hook's secret, which Okta sends as the `Authorization` header of every delivery. Only an
-- HMAC-SHA256 of it under the API-key pepper is kept (as for API keys): it is shown once, when
-- made, and a leaked database does not leak it. One row: one hook per deployment. `deliveries`
-- counts every delivery authenticated since the secret was made, `duplicates` those whose event id
-- had been taken already (Okta's retries and duplicates, acknowledged and not acted on).
CREATE TABLE okta_event_hook (
    id               INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    secret_hash      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    verified_at      TEXT,
    last_delivery_at TEXT,
    deliveries       INTEGER NOT NULL DEFAULT 0,
    duplicates       INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Deliveries already taken, by Okta's `eventId`: Okta delivers at least once, and a retry or a
-- duplicate is acknowledged without acting on it again. Rows older than a day are deleted as new
-- deliveries arrive (Okta retries within minutes).
CREATE TABLE okta_hook_deliveries (
    event_id    TEXT NOT NULL PRIMARY KEY,
    received_at TEXT NOT NULL,
    events      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX okta_hook_deliveries_by_time ON okta_hook_deliveries (received_at);

-- What Okta's events named, until a run has read them again: the groups whose members the next
-- incremental run reads whatever their `lastMembershipUpdated` says, and the users it reads by id
-- (Okta's user search, which incremental runs read statuses from, is eventually consistent). A
-- run that ends forgets the hints received before it started.
CREATE TABLE okta_hook_hints (
    kind        TEXT NOT NULL CHECK (kind IN ('group', 'user')),
    id          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

INSERT INTO schema_version (version, description) VALUES (14, 'okta event hook');
