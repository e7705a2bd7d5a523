-- Migration number: 0007
-- A group's members can only be read page after page, so the largest group's pages are the
-- longest chain of a run: reading it first lets the other groups fill the other connections
-- instead of waiting for it at the end. `size_hint` orders the groups to read: Okta's built-in
-- Everyone group first (every user), then by the members the committed snapshot has.
ALTER TABLE sync_staged_groups ADD COLUMN size_hint INTEGER NOT NULL DEFAULT 0;

-- 0006 did not record itself.
INSERT OR IGNORE INTO schema_version (version, description) VALUES (6, 'identities bound to Okta users');
INSERT INTO schema_version (version, description) VALUES (7, 'read large groups first');
