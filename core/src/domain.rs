//! Validated domain values: text from users and from Okta becomes one of these at the edge of
//! the program, or a precise error.

mod access;
mod access_check;
mod audit_text;
mod catalog;
mod effective_access;
mod email;
mod identity;
mod numbers;
mod okta_ids;
mod schedule;
mod scope;
mod sync_plan;
mod tenant_url;
mod webhook_url;

pub use access::{
    BeyondCaller, BuiltInRole, Permission, beyond_caller, needed_for, permissions_of, roles_changed,
};
pub use access_check::{
    Decision, Denial, Grant, GrantChain, MemberOf, Person, WhatIf, beyond_caller_on_scope, check,
};
pub use audit_text::{
    AUDIT_ACTIONS, AUDIT_AREAS, AuditActionFilter, AuditFacts, AuditFilter, change_summary,
    describe_audit,
};
pub use catalog::{
    AppPermission, Catalog, CatalogNameError, MAX_NAME_LEN, MAX_PERMISSION_DESCRIPTION_CHARS,
    MAX_ROLE_NAME_CHARS, PermissionName, RoleDefinition, RoleKey, role_display_name,
};
pub use effective_access::{
    AccessReason, EffectiveAccess, GrantReason, GroupGrant, MemberGroup, NO_GROUP_NOTE, NamedGrant,
    STATUS_RULE, SUPER_ADMIN_NOTE, StatusRoles, effective_access, grant_reasons, holds_group_roles,
    status_meaning, status_roles,
};
pub use email::{Email, EmailError, looks_like_email};
pub use identity::{EmailMatch, IdentityMatch, resolve_email, resolve_identity};
pub use numbers::thousands;
pub use okta_ids::{
    APP_ID_PATTERN, AppId, AppIdError, ClientId, ClientIdError, MAX_CLIENT_ID_CHARS,
};
pub use schedule::{SYNC_TRIGGERS, SyncTrigger, next_fire, next_scheduled_sync};
pub use scope::{MAX_RESOURCE_LEN, MAX_SEGMENTS, ResourcePath, ResourcePathError, scope_in_words};
pub use sync_plan::{
    GroupChange, GuardFigures, GuardReason, Snapshot, SnapshotGroup, SnapshotUser, SyncCounts,
    SyncPlan, groups_to_refetch, guard, guard_figures, plan_sync,
};
pub use tenant_url::{TenantUrl, TenantUrlError, TenantUrlPolicy};
pub use webhook_url::{WebhookUrl, WebhookUrlError, WebhookUrlPolicy};
