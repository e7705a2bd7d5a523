//! Wire types of sync runs, synced groups with their roles, invitations and effective access.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use super::examples;

use super::settings::GroupSource;
use crate::domain::{BuiltInRole, EffectiveAccess, Grant, GuardReason, SyncCounts};
use crate::okta::OktaUserStatus;

/// `POST /api/v1/sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::start_sync()))]
#[serde(deny_unknown_fields)]
pub struct StartSyncRequest {
    /// Compute the diff without committing it.
    #[serde(default)]
    pub dry_run: bool,
    /// Re-read every group's members, not only those whose membership changed.
    #[serde(default)]
    pub full: bool,
}

/// The answer of `POST /api/v1/sync`: the run started, or the one already running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StartSyncResponse {
    /// The run.
    pub run: SyncRun,
    /// Whether the request joined a run that was already running.
    pub joined: bool,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Reading Okta.
    Running,
    /// Read completely; held by the guard until a superAdmin confirms or discards it.
    NeedsConfirmation,
    /// Committed (or, for a dry run, diffed).
    Succeeded,
    /// Failed; nothing was committed.
    Failed,
    /// Held, then discarded by a superAdmin; nothing was committed.
    Discarded,
}

impl SyncState {
    /// Every state.
    pub const ALL: [Self; 5] =
        [Self::Running, Self::NeedsConfirmation, Self::Succeeded, Self::Failed, Self::Discarded];

    /// The state as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::NeedsConfirmation => "needs_confirmation",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Discarded => "discarded",
        }
    }

    /// Reads a stored state; `None` for one this version does not know (never guessed at).
    pub fn parse(state: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == state)
    }
}

/// Why a run failed: a closed set, so that a screen chooses its advice by code, not by words.
///
/// New codes may be added; a client that meets one it does not know reads it as `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncFailure {
    /// Okta refused the credential: the API token (invalid, expired or revoked), or the service
    /// app (its client id or key, or its `DPoP` setting).
    OktaTokenRejected,
    /// The credential may not read the app's groups or their members: the token's admin, or the
    /// service app's scopes or admin role.
    OktaPermissionDenied,
    /// Okta has no such app (or group), or the token cannot see it.
    OktaNotFound,
    /// Okta's rate limit was reached and stayed reached.
    OktaRateLimited,
    /// Okta failed, timed out or could not be reached.
    OktaUnavailable,
    /// Okta answered something the sync cannot use.
    OktaUnusable,
    /// The Okta settings are incomplete.
    NotConfigured,
    /// The stored token was sealed under a key this deployment no longer has.
    TokenKeyChanged,
    /// The deployment's token belongs to another tenant than the settings name.
    DeploymentTenantMismatch,
    /// D1 failed while the run ran.
    StorageFailed,
    /// A bug of ours (an internal limit hit).
    InternalError,
    /// The invocation running it ended before it finished.
    Interrupted,
    /// A code this version does not know (written by a newer Worker).
    #[serde(other)]
    Unknown,
}

impl SyncFailure {
    /// Every code this version writes.
    pub const ALL: [Self; 12] = [
        Self::OktaTokenRejected,
        Self::OktaPermissionDenied,
        Self::OktaNotFound,
        Self::OktaRateLimited,
        Self::OktaUnavailable,
        Self::OktaUnusable,
        Self::NotConfigured,
        Self::TokenKeyChanged,
        Self::DeploymentTenantMismatch,
        Self::StorageFailed,
        Self::InternalError,
        Self::Interrupted,
    ];

    /// The code as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OktaTokenRejected => "okta_token_rejected",
            Self::OktaPermissionDenied => "okta_permission_denied",
            Self::OktaNotFound => "okta_not_found",
            Self::OktaRateLimited => "okta_rate_limited",
            Self::OktaUnavailable => "okta_unavailable",
            Self::OktaUnusable => "okta_unusable",
            Self::NotConfigured => "not_configured",
            Self::TokenKeyChanged => "token_key_changed",
            Self::DeploymentTenantMismatch => "deployment_tenant_mismatch",
            Self::StorageFailed => "storage_failed",
            Self::InternalError => "internal_error",
            Self::Interrupted => "interrupted",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a stored code; one this version does not know is `Unknown`.
    pub fn parse(code: &str) -> Self {
        Self::ALL.into_iter().find(|failure| failure.as_str() == code).unwrap_or(Self::Unknown)
    }
}

/// How far a run has read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncProgress {
    /// Pages of the app's group assignments read.
    pub group_pages: u32,
    /// Groups found assigned to the app.
    pub groups_found: u32,
    /// Groups whose members must be read (all, or the changed ones).
    pub member_groups_total: u32,
    /// Of those, read so far.
    pub member_groups_read: u32,
    /// Pages of users with a non-active status read (incremental runs).
    pub status_pages: u32,
    /// What the run is doing (or, once it has ended, what it was doing last).
    #[serde(default)]
    pub phase: SyncPhase,
}

/// The part of a run under way, in order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Deleting what earlier runs left behind.
    #[default]
    Tidying,
    /// Reading the app's groups.
    ReadingGroups,
    /// Reading the users whose status is not active (incremental runs).
    ReadingStatuses,
    /// Reading the members of the groups that need it, staging them page by page.
    ReadingMembers,
    /// Comparing the staged memberships with the committed ones and writing the changes ahead,
    /// invisible to readers.
    WritingMemberships,
    /// The same for the users.
    WritingUsers,
    /// Everything written ahead: deciding (guard, dry run) and switching to the new snapshot.
    Switching,
}

/// A group named in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiffGroup {
    /// The Okta group id.
    pub id: String,
    /// The name (the new one for renames).
    pub name: String,
    /// The previous name, for renames.
    pub previous_name: Option<String>,
}

/// What a run changed (or, for dry runs and held runs, would change), with the first groups of
/// each kind named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncDiff {
    /// Groups added.
    pub groups_added: Vec<DiffGroup>,
    /// Groups renamed or re-described.
    pub groups_changed: Vec<DiffGroup>,
    /// Groups removed (unassigned from the app or deleted).
    pub groups_removed: Vec<DiffGroup>,
}

/// One sync run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(example = examples::sync_run(), example = examples::sync_run_held())
)]
pub struct SyncRun {
    /// The run id.
    pub id: String,
    /// Where it is.
    pub state: SyncState,
    /// `manual` or `schedule`.
    pub trigger: String,
    /// Who started it (an email, or `system`).
    pub started_by: String,
    /// Whether it only computes the diff.
    pub dry_run: bool,
    /// Whether it re-reads every group.
    pub full: bool,
    /// When it started.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub started_at: String,
    /// When it ended.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub ended_at: Option<String>,
    /// How far it has read.
    pub progress: SyncProgress,
    /// What it changed (or would change).
    pub counts: Option<SyncCounts>,
    /// Okta requests made.
    pub okta_requests: u64,
    /// Times it waited for an Okta rate-limit window.
    pub rate_limit_waits: u64,
    /// Why it failed, in words: what failed and what to do.
    pub error: Option<String>,
    /// Why it failed, as a stable code for programs (see `SyncFailure`).
    #[serde(default)]
    pub error_code: Option<SyncFailure>,
    /// Why the guard holds it.
    pub held_reason: Option<GuardReason>,
    /// The groups it added, changed and removed (or would), the first of each kind; none when it
    /// failed, was discarded or changed nothing.
    pub diff: Option<SyncDiff>,
    /// Group, membership and user rows its commit wrote (0 when nothing changed).
    #[serde(default)]
    pub rows_written: u64,
}

/// `GET /api/v1/sync/runs?page=<n>` (25 runs per page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListSyncRunsResponse {
    /// Runs, newest first.
    pub runs: Vec<SyncRun>,
    /// The next page (`?page=`), when there are older runs.
    pub next_page: Option<u32>,
    /// Whether sync is on, and when the schedule runs it next.
    pub schedule: SyncSchedule,
}

/// Whether groups come from Okta, and when the next scheduled sync is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SyncSchedule {
    /// Whether sync is on (groups come from Okta and cannot be made by hand).
    pub sync_enabled: bool,
    /// When the next scheduled run starts (RFC 3339 UTC), while sync is on.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub next_at: Option<String>,
    /// Whether that run re-reads every group.
    pub next_full: bool,
}

/// A group with its roles (`GET /api/v1/groups`, `GET /api/v1/groups/{id}`); its members come
/// page by page from `GET /api/v1/groups/{id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupDetail {
    /// The id.
    pub id: String,
    /// Where it comes from.
    pub source: GroupSource,
    /// The name (Okta text: render as text only).
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Members.
    pub member_count: u32,
    /// The roles the group grants.
    pub roles: Vec<BuiltInRole>,
    /// The custom roles it grants, each everywhere or on a scope (issue #14).
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// The version of the roles, for `PUT …/roles` (also the `ETag`).
    pub roles_version: i64,
    /// Who saved the roles last (an email), when anyone did; shown only to callers who may
    /// assign roles (the audit log says it to the others who may read it).
    #[serde(default)]
    pub roles_saved_by: Option<String>,
    /// When the roles were saved last (RFC 3339 UTC); shown as `roles_saved_by` is.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub roles_saved_at: Option<String>,
    /// When a sync last saw it.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub last_synced_at: Option<String>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupMember {
    /// The Okta user id.
    pub id: String,
    /// The email.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The Okta status (`ACTIVE`, `SUSPENDED`, …).
    pub status: OktaUserStatus,
}

/// `GET /api/v1/groups/{id}/members?q=&after=&per_page=`: a page of a group's members.
///
/// Ordered by email, then id (a member without an email first), with the count of all that
/// match, both read in one D1 batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MemberPage {
    /// The members of this page (at most `per_page`).
    pub members: Vec<GroupMember>,
    /// Members matching the search (`q`), over all pages.
    pub total: u32,
    /// Members per page.
    pub per_page: u32,
    /// The cursor of the next page (pass it as `after`); null on the last page.
    pub next_after: Option<String>,
    /// When the sync whose members these are committed (null before the first). Pages with
    /// the same `as_of` belong to one listing.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub as_of: Option<String>,
}

/// `GET /api/v1/groups?q=&sort=&page=&per_page=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GroupPage {
    /// The groups of this page.
    pub groups: Vec<GroupDetail>,
    /// Groups matching the search, over all pages.
    pub total: u32,
    /// This page (from 1).
    pub page: u32,
    /// Groups per page.
    pub per_page: u32,
    /// When the sync whose groups these are committed (null before the first). Pages with
    /// the same `as_of` and `total` belong to one listing; a client reading page after page
    /// starts over when either changes.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub as_of: Option<String>,
}

/// `PUT /api/v1/groups/{id}/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(
        example = examples::set_group_roles(),
        example = examples::set_group_roles_with_grants(),
    )
)]
#[serde(deny_unknown_fields)]
pub struct SetGroupRolesRequest {
    /// The built-in roles the group grants from now on (this console's own; everywhere).
    pub roles: Vec<BuiltInRole>,
    /// The custom roles the group grants from now on, each everywhere or on a scope (issue
    /// #14). Absent: they stay as they are, so a client that knows only the built-in roles
    /// never removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Vec<Grant>>,
    /// The `roles_version` the change is based on; a different current version is a conflict.
    pub version: i64,
}

/// `POST /api/v1/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::create_invitation()))]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    /// Who to invite.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// Invite them even though Okta has no user with this email (or could not be asked): they
    /// get no role until Okta has them. Without it, such an invitation is refused with
    /// `422 unknown_to_okta`.
    #[serde(default)]
    pub confirm_unknown: bool,
}

/// Where an invitation stands (D1's `invitations.status` holds the same two words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Sent, not used yet: it can be withdrawn.
    Invited,
    /// Used: its person has signed in.
    Active,
}

/// Where a person of the access review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppUserStatus {
    /// Invited, not signed in yet.
    Invited,
    /// Invited and signed in.
    Active,
    /// Holds access (through their Okta groups, or as a superAdmin) or has signed in, without
    /// ever having been invited.
    NotInvited,
}

/// An invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Invitation {
    /// The invited email (lowercased).
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// The Okta user found by that email when invited.
    pub okta_user_id: Option<String>,
    /// `invited`, or `active` after the first sign-in.
    pub status: InvitationStatus,
    /// Who invited.
    pub invited_by: String,
    /// When.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub invited_at: String,
    /// When they first signed in.
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub activated_at: Option<String>,
}

/// The answer of `POST /api/v1/invitations`: the invitation and what it will grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateInvitationResponse {
    /// The invitation.
    pub invitation: Invitation,
    /// The roles the user will get, and why.
    pub access: EffectiveAccess,
    /// A warning, when the user is in no group assigned to the app (or unknown to Okta).
    pub warning: Option<String>,
}

/// `GET /api/v1/invitations?q=&page=&per_page=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListInvitationsResponse {
    /// This page's invitations, newest first.
    pub invitations: Vec<Invitation>,
    /// Invitations matching the search (`q`), over all pages.
    pub total: u32,
    /// This page (from 1).
    pub page: u32,
    /// Invitations per page.
    pub per_page: u32,
}

/// A user of the app (`GET /api/v1/users`): their invitation and their access now, read together
/// so that no row mixes two moments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AppUser {
    /// The email (lowercased).
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// The Okta user found by that email when invited.
    pub okta_user_id: Option<String>,
    /// `invited`, `active` after the first sign-in, or `not_invited`.
    pub status: AppUserStatus,
    /// Who invited them (none when never invited).
    pub invited_by: Option<String>,
    /// When (none when never invited).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub invited_at: Option<String>,
    /// When they first signed in (after their invitation, when invited).
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub activated_at: Option<String>,
    /// Whether they are a superAdmin (and so hold every permission, whatever their roles).
    pub super_admin: bool,
    /// The roles their synced Okta groups grant them now, sorted.
    pub roles: Vec<BuiltInRole>,
}

/// `GET /api/v1/users?q=&page=&per_page=`: the access review, a page of everyone invited,
/// holding access or who has signed in, with their access now.
///
/// Read in one D1 batch, of the same four statements whatever the page holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListUsersResponse {
    /// This page's people: the invited (newest invitation first), then those who hold access or
    /// have signed in without an invitation, by email.
    pub users: Vec<AppUser>,
    /// Users matching the search (`q`), over all pages.
    pub total: u32,
    /// This page (from 1).
    pub page: u32,
    /// Users per page.
    pub per_page: u32,
}

/// `GET /api/v1/users/{email}/access`: what the user may do, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(example = examples::user_access()))]
pub struct UserAccessResponse {
    /// The email asked about.
    #[cfg_attr(feature = "schema", schemars(email))]
    pub email: String,
    /// The Okta user id, when the email is an Okta user in a synced group.
    pub okta_user_id: Option<String>,
    /// The Okta status.
    pub okta_status: Option<OktaUserStatus>,
    /// Roles, permissions and the explanation.
    pub access: EffectiveAccess,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_code_is_spelled_the_same_stored_and_sent() {
        for failure in SyncFailure::ALL {
            let sent = serde_json::to_value(failure).unwrap();
            assert_eq!(sent, failure.as_str(), "{failure:?}");
            assert_eq!(SyncFailure::parse(failure.as_str()), failure);
            assert_eq!(serde_json::from_value::<SyncFailure>(sent).unwrap(), failure);
        }
    }

    #[test]
    fn a_failure_code_from_a_newer_worker_reads_as_unknown() {
        assert_eq!(SyncFailure::parse("okta_on_fire"), SyncFailure::Unknown);
        let read: SyncFailure = serde_json::from_value(serde_json::json!("okta_on_fire")).unwrap();
        assert_eq!(read, SyncFailure::Unknown);
    }

    #[test]
    fn a_run_state_is_read_back_as_written_and_an_unknown_one_is_refused() {
        for state in SyncState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
            assert_eq!(SyncState::parse(state.as_str()), Some(state));
        }
        assert_eq!(SyncState::parse("paused"), None, "never read as running");
    }
}
