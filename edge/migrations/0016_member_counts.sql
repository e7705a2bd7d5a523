-- Migration number: 0016
-- Reads as cheap at 100,000 members as at 10 (issue #17).
--
-- A group's member count is kept with the group, written by the sync's switch in the batch that
-- makes its memberships visible, instead of counted on every listing (a page of 50 groups counted
-- their memberships, and a group of 100,000 counted 100,000 rows each time it was shown). A run
-- counts a group's members once, when it has staged the last page of them: the members it staged
-- are exactly the group's memberships in the run's generation.
ALTER TABLE groups ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0);
ALTER TABLE sync_staged_groups ADD COLUMN member_count INTEGER CHECK (member_count >= 0);
UPDATE groups SET member_count = (SELECT COUNT(*) FROM group_members m WHERE m.group_id = groups.id);

-- The users in the order member pages show them (email, none first, then id): a page of a large
-- group walks this index and keeps the users who are members, instead of sorting every member.
CREATE INDEX okta_user_versions_in_email_order ON okta_user_versions (IFNULL(email, ''), id);

INSERT INTO schema_version (version, description) VALUES (16, 'member counts kept, users in email order');
