//! Wire types of Settings → Okta API Access and of local groups.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use super::examples;

use super::problem::Problem;

/// `GET /api/v1/settings/okta`: the settings, with the token described, never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OktaSettingsResponse {
    /// The tenant URL (`https://acme.okta.com`), once set.
    pub tenant_url: Option<String>,
    /// The App ID of the Okta SAML app, once set.
    pub app_id: Option<String>,
    /// Which credential the Worker calls Okta with.
    pub credential: CredentialKind,
    /// What is known about the API token.
    pub token: TokenStatus,
    /// The OAuth 2.0 service app: its client id and the keys this deployment made for it.
    pub service_app: ServiceAppStatus,
    /// Whether groups come from Okta (and so cannot be created by hand).
    pub sync_enabled: bool,
    /// Who last changed the settings, and when.
    pub updated_by: Option<String>,
    /// When the settings last changed.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub updated_at: Option<String>,
    /// Whether the settings can be changed here (false when the token is managed by the
    /// deployment).
    pub read_only: bool,
}

/// The API token, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenStatus {
    /// Whether a token is available.
    pub configured: bool,
    /// The token's last four characters, to recognize it.
    pub last4: Option<String>,
    /// Who set it (an email, or `deployment`).
    pub set_by: Option<String>,
    /// When it was set.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub set_at: Option<String>,
    /// `deployment` (a Worker secret, which wins), `stored` (typed here, encrypted), or `none`.
    pub source: TokenSource,
    /// Why the stored token cannot be used now (for example `token_key_changed`: it was
    /// encrypted with a key the deployment no longer has), with what to do; null when it can.
    #[serde(default)]
    pub problem: Option<Problem>,
    /// Which encryption key the stored token is sealed under: `previous` while a key rotation
    /// is under way (the token is sealed again under the current key on its next use), then
    /// `current`. Null for a deployment token, no token, or one that cannot be read.
    #[serde(default)]
    pub sealed_with: Option<SealedWith>,
}

/// The encryption key a stored token is sealed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SealedWith {
    /// `TOKEN_ENCRYPTION_KEY`.
    Current,
    /// `TOKEN_ENCRYPTION_KEY_PREVIOUS`: keep it configured until this says `current`.
    Previous,
}

/// Where the token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// `wrangler secret put OKTA_API_TOKEN`: it wins, and the screen is read-only.
    Deployment,
    /// Typed on the settings screen, stored encrypted.
    Stored,
    /// No token yet.
    None,
}

/// The credential the Worker calls Okta with (README: "Connecting to Okta").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An OAuth 2.0 service app (Okta's recommendation): scoped access tokens, requested with a
    /// key pair this deployment made and signed with its private key, which never leaves it.
    ServiceApp,
    /// An SSWS API token, acting with the full rights of the admin who made it (what a
    /// deployment without a service app uses).
    #[default]
    ApiToken,
}

/// The OAuth 2.0 service app, described. Its private keys are never shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceAppStatus {
    /// The app's client id in Okta, once saved.
    pub client_id: Option<String>,
    /// The key the saved service app signs with.
    pub key: Option<ServiceAppKey>,
    /// A key made for the next save and not tested yet: register its public JWK on the app, then
    /// save (the test must pass before it replaces `key`).
    pub pending_key: Option<ServiceAppKey>,
    /// Why the saved key cannot be used now (for example `token_key_changed`), with what to do;
    /// null when it can.
    #[serde(default)]
    pub problem: Option<Problem>,
}

/// A key pair made by this deployment for the service app: its public half, to register in
/// Okta (Applications → the app → General → Public keys → Add key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceAppKey {
    /// The key id (`kid`): the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The public key as a JWK (RS256), in JSON: paste it into Okta as it is.
    pub public_jwk: String,
    /// Who made the key.
    pub created_by: Option<String>,
    /// When.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: Option<String>,
}

/// `PUT /api/v1/settings/okta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::update_okta_settings()))]
#[serde(deny_unknown_fields)]
pub struct UpdateOktaSettingsRequest {
    /// The tenant URL.
    pub tenant_url: String,
    /// The App ID.
    #[cfg_attr(feature = "schema", schemars(pattern(crate::domain::APP_ID_PATTERN)))]
    pub app_id: String,
    /// The credential to use from now on; unchanged when absent.
    #[serde(default)]
    pub credential: Option<CredentialKind>,
    /// A new API token; saved only after a successful connection test. Required when the
    /// tenant URL or App ID changes while the API token is the credential.
    #[serde(default)]
    pub api_token: Option<String>,
    /// The service app's client id; saved only after a successful connection test. Required
    /// the first time the service app becomes the credential.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 100)))]
    pub client_id: Option<String>,
    /// Whether groups come from Okta; unchanged when absent.
    #[serde(default)]
    pub sync_enabled: Option<bool>,
}

/// `POST /api/v1/settings/okta/test`: values to test; stored values fill the gaps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::test_okta_connection()))]
#[serde(deny_unknown_fields)]
pub struct TestOktaConnectionRequest {
    /// The tenant URL to test.
    #[serde(default)]
    pub tenant_url: Option<String>,
    /// The App ID to test.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(pattern(crate::domain::APP_ID_PATTERN)))]
    pub app_id: Option<String>,
    /// The credential to test; the stored one when absent.
    #[serde(default)]
    pub credential: Option<CredentialKind>,
    /// The token to test.
    #[serde(default)]
    pub api_token: Option<String>,
    /// The service app's client id to test (with its pending key when there is one).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 100)))]
    pub client_id: Option<String>,
}

/// The outcome of a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TestOktaConnectionResponse {
    /// Whether every check passed.
    pub ok: bool,
    /// Why not, when not.
    pub failure: Option<ConnectionFailure>,
    /// What happened, in words.
    pub message: String,
    /// The app's label in Okta, when it was read.
    pub app_label: Option<String>,
}

/// Why a connection test failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionFailure {
    /// Okta rejected the token.
    InvalidToken,
    /// The token may not read the app, its groups or their members.
    MissingPermission,
    /// No app has this App ID.
    AppNotFound,
    /// The app does not sign in with SAML 2.0.
    NotSaml,
    /// The app is not active.
    AppInactive,
    /// Okta's rate limit was hit.
    RateLimited,
    /// Okta could not be reached or answered wrongly.
    Unreachable,
    /// The service app was not accepted: a wrong client id, no such app, or this deployment's
    /// public key is not registered on it.
    ServiceAppNotAccepted,
    /// The service app lacks a scope the sync needs (`okta.apps.read`, `okta.groups.read`,
    /// `okta.users.read`).
    ScopeNotGranted,
    /// The service app has no admin role that may read the app, its groups and their members.
    AdminRoleMissing,
    /// Okta refused the `DPoP` proof: the app's `DPoP` setting, or this server's clock.
    DpopRefused,
}

/// Where a group comes from: synced from Okta, or made by hand while sync was off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// `okta`: synced; its members come from Okta.
    Okta,
    /// `local`: made by hand in this app.
    Local,
}

/// A group as listed by `GET /api/v1/groups`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(example = examples::group_summary(), example = examples::group_summary_local())
)]
pub struct GroupSummary {
    /// The id (an Okta group id, or `loc…` for local groups).
    pub id: String,
    /// Where it comes from.
    pub source: GroupSource,
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
}

/// `POST /api/v1/groups`: a group made by hand (refused while sync is on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::create_group()))]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// The name.
    pub name: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `GET /api/v1/settings/okta/event-hook`: the Okta Event Hook that tells this app of changes,
/// described (its secret is never shown again after it is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OktaEventHook {
    /// Whether a secret has been made, so that deliveries can be authenticated.
    pub configured: bool,
    /// The endpoint URL to register in Okta (`https://…/api/v1/okta/events`).
    pub url: String,
    /// The header Okta must send the secret in (Okta's `authScheme.key`).
    pub header: String,
    /// The event types to subscribe the hook to.
    pub event_types: Vec<String>,
    /// Who made the current secret, and when.
    pub created_by: Option<String>,
    /// When the current secret was made.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub created_at: Option<String>,
    /// When Okta last verified the endpoint.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub verified_at: Option<String>,
    /// When Okta last delivered events.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub last_delivery_at: Option<String>,
    /// Deliveries received with the current secret (duplicates included).
    pub deliveries: u64,
    /// Of them, the retries and duplicates of a delivery taken already (not acted on again).
    pub duplicates: u64,
}

/// `POST /api/v1/settings/okta/event-hook/secret`: a new secret (the old one stops working), shown
/// this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OktaEventHookSecret {
    /// The secret: Okta's `authScheme.value`.
    pub secret: String,
    /// The hook, described.
    pub hook: OktaEventHook,
}
