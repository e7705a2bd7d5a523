-- Migration number: 0017
-- The OAuth 2.0 service app, the credential Okta recommends besides the API token (issue #16).
--
-- `credential` says which one the Worker calls Okta with. The service app's private key is made by
-- the Worker and kept like the token: AES-256-GCM ciphertext under TOKEN_ENCRYPTION_KEY, bound to
-- the key's id (`*_kid`, the RFC 7638 thumbprint of its public half); the public JWK is kept as
-- text to show again. A key just made waits as the pending key until a save whose connection
-- test passes makes it the app's key, so making a key never breaks a working connection.
ALTER TABLE okta_settings ADD COLUMN credential TEXT NOT NULL DEFAULT 'api_token'
    CHECK (credential IN ('api_token', 'service_app'));
ALTER TABLE okta_settings ADD COLUMN client_id TEXT;
ALTER TABLE okta_settings ADD COLUMN app_key_sealed TEXT;
ALTER TABLE okta_settings ADD COLUMN app_key_kid TEXT;
ALTER TABLE okta_settings ADD COLUMN app_key_jwk TEXT;
ALTER TABLE okta_settings ADD COLUMN app_key_created_by TEXT;
ALTER TABLE okta_settings ADD COLUMN app_key_created_at TEXT;
ALTER TABLE okta_settings ADD COLUMN pending_key_sealed TEXT;
ALTER TABLE okta_settings ADD COLUMN pending_key_kid TEXT;
ALTER TABLE okta_settings ADD COLUMN pending_key_jwk TEXT;
ALTER TABLE okta_settings ADD COLUMN pending_key_created_by TEXT;
ALTER TABLE okta_settings ADD COLUMN pending_key_created_at TEXT;

INSERT INTO schema_version (version, description) VALUES (17, 'OAuth 2.0 service app credential');
