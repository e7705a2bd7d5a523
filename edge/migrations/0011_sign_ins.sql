-- Migration number: 0011
-- Everyone who has signed in, by email, with their first sign-in (issue #13): the People table
-- lists them even when they hold no role and were never invited, so an access review sees every
-- person who ever reached the app. Written once, on a person's first request; whether it exists
-- is read in the batch every request already sends.
CREATE TABLE sign_ins (
    email    TEXT NOT NULL PRIMARY KEY,
    first_at TEXT NOT NULL
) STRICT;

-- Earlier sign-ins left two traces: an identity bound on the first sign-in of an Okta user, and
-- an invitation activated by one. The earlier of the two is the first sign-in.
INSERT INTO sign_ins (email, first_at)
    SELECT email, MIN(at) FROM (
        SELECT email, bound_at AS at FROM identities
        UNION ALL SELECT email, activated_at FROM invitations WHERE activated_at IS NOT NULL
    ) GROUP BY email;

INSERT INTO schema_version (version, description) VALUES (11, 'sign-ins');
