-- Migration number: 0008
-- Groups of the same size hint (every ordinary group on a first sync) are read in the order
-- Okta lists the app's groups, as the admin sees them, instead of by id: `listed` is a group's
-- position in that listing.
ALTER TABLE sync_staged_groups ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;

INSERT INTO schema_version (version, description) VALUES (8, 'read groups in Okta''s order');
