-- Migration number: 0015
-- Signed webhooks out (issue #15): the apps that rely on this one register endpoints, and learn
-- of changed access (`access.changed`) and committed runs (`sync.committed`) from events signed
-- per the Standard Webhooks specification, retried with exponential backoff.

-- An endpoint a superAdmin registered. Its signing secret must be used to sign, so it is sealed
-- (AES-256-GCM under TOKEN_ENCRYPTION_KEY, bound to the endpoint id), never hashed; it is shown
-- once, when made.
CREATE TABLE webhook_endpoints (
    id            TEXT NOT NULL PRIMARY KEY,
    url           TEXT NOT NULL,
    description   TEXT NOT NULL,
    events        TEXT NOT NULL CHECK (json_valid(events) AND json_type(events) = 'array'),
    secret_sealed TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

-- One event, as signed and sent (the `webhook-id` is its id, the same for every attempt).
-- `run_id`: the run whose commit it describes; its deliveries are staged until that commit.
CREATE TABLE webhook_messages (
    id         TEXT NOT NULL PRIMARY KEY,
    event_type TEXT NOT NULL CHECK (event_type IN ('access.changed', 'sync.committed')),
    payload    TEXT NOT NULL,
    run_id     TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_messages_by_run ON webhook_messages (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX webhook_messages_by_time ON webhook_messages (created_at);

-- One event's delivery to one endpoint. 'staged': written ahead by a run that has not committed
-- (readers and the sender ignore it; tidied if the run never commits). `next_attempt_at`: epoch
-- milliseconds, for pending deliveries.
CREATE TABLE webhook_deliveries (
    endpoint_id     TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('staged', 'pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (message_id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_by_state ON webhook_deliveries (endpoint_id, state);
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (endpoint_id, delivered_at)
    WHERE delivered_at IS NOT NULL;
-- What runs staged: released by their switch, deleted by the tidying if they never switch.
CREATE INDEX webhook_deliveries_staged ON webhook_deliveries (message_id) WHERE state = 'staged';

-- A change of a group's roles that `access.changed` events must tell its members of: written in
-- the batch that changes the roles (only while an endpoint receives the events), with the roles
-- and custom grants the group had before; the sender works through the group's members a page at
-- a time (`after_user`: the last member done) and deletes the job when all are.
CREATE TABLE webhook_jobs (
    id         TEXT NOT NULL PRIMARY KEY,
    group_id   TEXT NOT NULL,
    before     TEXT NOT NULL CHECK (json_valid(before)),
    actor      TEXT NOT NULL,
    after_user TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_jobs_by_time ON webhook_jobs (created_at);

-- The runs announce whose access changed by comparing a generation with the one before it, page
-- by page of user ids: these indexes let each page seek the users a generation touched in id
-- order instead of sorting them all (they replace the plain generation indexes, which the same
-- prefixes still serve).
DROP INDEX group_member_versions_by_start;
DROP INDEX group_member_versions_by_end;
CREATE INDEX group_member_versions_by_start ON group_member_versions (from_gen, user_id);
CREATE INDEX group_member_versions_by_end ON group_member_versions (to_gen, user_id)
    WHERE to_gen IS NOT NULL;
DROP INDEX okta_user_versions_by_start;
DROP INDEX okta_user_versions_by_end;
CREATE INDEX okta_user_versions_by_start ON okta_user_versions (from_gen, id);
CREATE INDEX okta_user_versions_by_end ON okta_user_versions (to_gen, id) WHERE to_gen IS NOT NULL;

INSERT INTO schema_version (version, description) VALUES (15, 'webhooks');
