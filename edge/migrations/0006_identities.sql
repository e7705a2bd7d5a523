-- Sign-in identities bound to the Okta user they are (issue #11): a person's roles follow the
-- Okta user id bound to their Access `sub` the first time exactly one synced Okta user had
-- their email, not whoever has that email today. One Okta user is bound to one identity.
CREATE TABLE identities (
    subject      TEXT NOT NULL PRIMARY KEY,
    -- The email the identity signed in with when it was bound (for people reading the table).
    email        TEXT NOT NULL,
    okta_user_id TEXT NOT NULL UNIQUE,
    bound_at     TEXT NOT NULL
) STRICT;
