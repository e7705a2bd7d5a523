-- Migration number: 0009
-- Who saved a group's roles last, and when: a person whose save meets a conflict is told who
-- saved first and when, not only that someone did. Filled from the audit log for roles saved
-- before this migration.
ALTER TABLE groups ADD COLUMN roles_saved_by TEXT;
ALTER TABLE groups ADD COLUMN roles_saved_at TEXT;

UPDATE groups SET
    roles_saved_by = (SELECT actor FROM audit_log a WHERE a.action = 'group.roles_set'
                      AND a.target = groups.id ORDER BY a.id DESC LIMIT 1),
    roles_saved_at = (SELECT at FROM audit_log a WHERE a.action = 'group.roles_set'
                      AND a.target = groups.id ORDER BY a.id DESC LIMIT 1);

INSERT INTO schema_version (version, description) VALUES (9, 'who saved a group''s roles last');
