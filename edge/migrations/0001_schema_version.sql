-- Migration number: 0001
-- Records which schema migrations have been applied, as seen from the Worker: GET /api/v1/health
-- reads MAX(version) to prove that D1 answers and that the migrations ran. Every later migration
-- ends by inserting its own row.
CREATE TABLE schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

INSERT INTO schema_version (version, description) VALUES (1, 'schema version table');
