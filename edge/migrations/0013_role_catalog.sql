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

INSERT INTO schema_version (version, description) VALUES (13, 'role catalog');
