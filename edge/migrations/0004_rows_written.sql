-- Migration number: 0004
-- How many group, membership and user rows a committed run wrote (0 for an unchanged tenant).
ALTER TABLE sync_runs ADD COLUMN rows_written INTEGER NOT NULL DEFAULT 0;

INSERT INTO schema_version (version, description) VALUES (4, 'rows written by sync runs');
