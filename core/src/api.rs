//! Wire types of the edge API (`/api/v1`): what travels as JSON between the Worker, the SPA and
//! other services. Types here carry no logic beyond construction and small accessors.

mod access;
#[cfg(feature = "schema")]
mod examples;
mod health;
mod problem;
#[cfg(all(test, feature = "schema"))]
mod schema_tests;
mod settings;
mod sync;
mod webhooks;

pub use access::{
    AccessCheckBatchRequest, AccessCheckBatchResponse, AccessCheckItem, AccessCheckResponse,
    ApiKey, AppPermissionDescription, Assumption, AuditEntry, CallerKind, CreateApiKeyRequest,
    CreateApiKeyResponse, CreateRoleRequest, CustomRoleDescription, DevSignInRequest,
    DevSignInResponse, GrantSuperAdminRequest, ListApiKeysResponse, ListAuditResponse,
    ListPermissionsResponse, ListRolesResponse, ListServiceTokensResponse, ListSuperAdminsResponse,
    MeResponse, RegisterPermissionRequest, RegisterServiceTokenRequest, RoleDescription,
    RoleGrantImpact, RoleImpact, ServiceToken, SuperAdmin, UpdateRoleRequest,
};
pub use health::{HealthResponse, ServiceStatus, SyncHealth, SyncHealthState, SyncStatus};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem, ProblemCode};
pub use settings::{
    ConnectionFailure, CreateGroupRequest, CredentialKind, GroupSource, GroupSummary,
    OktaEventHook, OktaEventHookSecret, OktaSettingsResponse, SealedWith, ServiceAppKey,
    ServiceAppStatus, TestOktaConnectionRequest, TestOktaConnectionResponse, TokenSource,
    TokenStatus, UpdateOktaSettingsRequest,
};
pub use sync::{
    AppUser, AppUserStatus, CreateInvitationRequest, CreateInvitationResponse, DiffGroup,
    GroupDetail, GroupMember, GroupPage, Invitation, InvitationStatus, ListInvitationsResponse,
    ListSyncRunsResponse, ListUsersResponse, MemberPage, SetGroupRolesRequest, StartSyncRequest,
    StartSyncResponse, SyncDiff, SyncFailure, SyncPhase, SyncProgress, SyncRun, SyncSchedule,
    SyncState, UserAccessResponse,
};
pub use webhooks::{
    AccessChange, AccessChangedData, CreateWebhookRequest, CreateWebhookResponse, DeliveryState,
    ListWebhookDeliveriesResponse, ListWebhooksResponse, SyncCommittedData, WebhookDelivery,
    WebhookEndpoint, WebhookEvent, WebhookEventType,
};

/// The path prefix every edge API route lives under.
pub const API_PREFIX: &str = "/api/v1";
