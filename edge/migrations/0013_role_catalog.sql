-- Migration number: 0013
-- Roles as data (issue #14): the permissions that the app relying on this product defines
-- (dotted names such as runbooks.execute, beside this console's own fixed ones), and custom
-- roles as named sets of permissions of both. The built-in roles are code, not rows: they
-- cannot be changed.

CREATE TABLE app_permissions (
    name        TEXT NOT NULL PRIMARY KEY,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- `permissions` is a JSON array of permission names. `key` is what grants store (in
-- group_roles.role, like a built-in's `viewer`) and never changes; `name` can.
CREATE TABLE custom_roles (
    key         TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    permissions TEXT NOT NULL CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX custom_roles_by_name ON custom_roles (name COLLATE NOCASE);

-- A group's grants of custom roles, each everywhere (scope '') or on a resource path and what
-- lies below it (`folder:/prod`). The built-in roles stay in group_roles: they are this
-- console's own and apply everywhere.
CREATE TABLE group_grants (
    group_id TEXT NOT NULL,
    role     TEXT NOT NULL,
    scope    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, role, scope)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_grants_by_role ON group_grants (role);

-- Grants of groups that left the app: kept for the record, never granted again by themselves.
CREATE TABLE archived_group_grants (
    group_id    TEXT NOT NULL,
    role        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    archived_at TEXT NOT NULL
) STRICT;

-- A group's grants go with it, whoever deletes it (a sync run, in the same transaction).
CREATE TRIGGER group_grants_leave_with_their_group AFTER DELETE ON groups
BEGIN
    INSERT INTO archived_group_grants (group_id, role, scope, archived_at)
        SELECT group_id, role, scope, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
        FROM group_grants WHERE group_id = OLD.id;
    DELETE FROM group_grants WHERE group_id = OLD.id;
END;

INSERT INTO schema_version (version, description) VALUES (13, 'role catalog');
