-- Migration number: 0010
-- The audit log is filtered by what an entry is about (a group's history, one person's
-- invitation) and by kind of action; each filter walks its own index newest first instead of the
-- whole log.
CREATE INDEX audit_log_by_target ON audit_log (target, id DESC);
CREATE INDEX audit_log_by_action ON audit_log (action, id DESC);

INSERT INTO schema_version (version, description) VALUES (10, 'audit log filters');
