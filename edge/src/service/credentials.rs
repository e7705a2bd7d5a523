//! Machine credentials: issuing API keys and registering Access service tokens.
//!
//! Both only ever read: their scopes are read permissions (all of them when none are named).
//! An API key's secret is shown once and stored only as a keyed hash, so API keys are off
//! while the operator has set no pepper.

use std::collections::BTreeSet;

use groupsync_core::api::{
    ApiKey, CreateApiKeyRequest, CreateApiKeyResponse, ProblemCode, RegisterServiceTokenRequest,
    ServiceToken,
};
use groupsync_core::domain::Permission;
use serde_json::json;

use crate::error::ApiError;
use crate::service::access::{Principal, parse_scopes};
use crate::service::api_keys;
use crate::service::ports::{
    ApiKeyRow, AuditRecord, CredentialStore, RateLimiter, ServiceTokenRow,
};

/// How long a key lives when the request does not say.
const DEFAULT_KEY_DAYS: u32 = 90;
/// The longest a key may live.
const MAX_KEY_DAYS: u32 = 365;
/// The longest service token common name (Access's client ids are far shorter).
const MAX_COMMON_NAME_BYTES: usize = 128;

/// Now, as the API writes it and in epoch seconds.
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    /// RFC 3339 UTC.
    pub iso: &'a str,
    /// Epoch seconds.
    pub epoch_s: u64,
}

/// Issues an API key on behalf of `principal`, and shows its secret this once; `pepper` keys
/// the stored hash.
///
/// Only a superAdmin may: the router checks that before the handler calls this, so the use
/// case does not check it again.
///
/// # Errors
///
/// `invalid_input` about `name`, `scopes` or `expires_in_days`; `misconfigured` without a
/// pepper; the write limit's refusal.
pub async fn create_api_key(
    store: &impl CredentialStore,
    limits: &impl RateLimiter,
    pepper: Option<&[u8]>,
    principal: &Principal,
    request: CreateApiKeyRequest,
    now: Now<'_>,
) -> Result<CreateApiKeyResponse, ApiError> {
    let name = checked_name(&request.name)?;
    let scopes = machine_scopes(request.scopes)?;
    let days = request.expires_in_days.unwrap_or(DEFAULT_KEY_DAYS);
    if !(1..=MAX_KEY_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "expires_in_days",
            format!("must be between 1 and {MAX_KEY_DAYS}"),
        ));
    }
    let pepper = pepper.ok_or_else(|| {
        ApiError::client(
            ProblemCode::Misconfigured,
            "API keys are off: the operator has not set API_KEY_PEPPER.",
        )
    })?;
    let actor = limits.admit_write(principal).await?;
    let issued = api_keys::issue()
        .map_err(|_| ApiError::client(ProblemCode::Internal, "No randomness to make a key."))?;
    let row = ApiKeyRow {
        id: issued.id,
        name,
        scopes: scopes_json(&scopes),
        created_by: actor.name.clone(),
        created_at: now.iso.to_owned(),
        expires_at: iso_time(now.epoch_s + u64::from(days) * 86_400),
        revoked_at: None,
    };
    let audit = AuditRecord {
        after: Some(json!({ "name": row.name, "scopes": scopes, "expires_at": row.expires_at })),
        ..AuditRecord::of(&actor, "api_key.issued", row.id.clone())
    };
    store.insert_api_key(&row, &api_keys::hash(pepper, &issued.secret), &audit, now.iso).await?;
    Ok(CreateApiKeyResponse { key: api_key(row), secret: issued.secret })
}

/// Registers an Access service token (by its client id) on behalf of `principal`.
///
/// Only a superAdmin may: the router checks that before the handler calls this, so the use
/// case does not check it again.
///
/// # Errors
///
/// `invalid_input` about `common_name`, `scopes` or `name`; the write limit's refusal;
/// `already_exists` when the token is registered already.
pub async fn register_service_token(
    store: &impl CredentialStore,
    limits: &impl RateLimiter,
    principal: &Principal,
    request: RegisterServiceTokenRequest,
    now: &str,
) -> Result<ServiceToken, ApiError> {
    let common_name = request.common_name.trim().to_owned();
    let valid = !common_name.is_empty()
        && common_name.len() <= MAX_COMMON_NAME_BYTES
        && common_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return Err(ApiError::invalid(
            "common_name",
            "the service token's client id, as Access shows it",
        ));
    }
    let scopes = machine_scopes(request.scopes)?;
    let actor = limits.admit_write(principal).await?;
    let row = ServiceTokenRow {
        common_name: common_name.clone(),
        name: checked_name(&request.name)?,
        scopes: scopes_json(&scopes),
        created_by: actor.name.clone(),
        created_at: now.to_owned(),
        revoked_at: None,
    };
    let audit = AuditRecord {
        after: Some(json!({ "name": row.name, "scopes": scopes })),
        ..AuditRecord::of(&actor, "service_token.registered", common_name)
    };
    if !store.insert_service_token(&row, &audit, now).await? {
        return Err(ApiError::client(
            ProblemCode::AlreadyExists,
            "This service token is registered already.",
        ));
    }
    Ok(service_token(row))
}

/// The wire form of a stored API key (never its secret).
pub fn api_key(row: ApiKeyRow) -> ApiKey {
    ApiKey {
        scopes: parse_scopes(&row.scopes).into_iter().collect(),
        id: row.id,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
    }
}

/// The wire form of a registered service token.
pub fn service_token(row: ServiceTokenRow) -> ServiceToken {
    ServiceToken {
        scopes: parse_scopes(&row.scopes).into_iter().collect(),
        common_name: row.common_name,
        name: row.name,
        created_by: row.created_by,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

/// Epoch seconds as RFC 3339 UTC with milliseconds, as every other time of the API (and as
/// JavaScript's `Date.toISOString` writes it). Civil date from days after Howard Hinnant's
/// `civil_from_days`.
pub fn iso_time(epoch_s: u64) -> String {
    let days = i64::try_from(epoch_s / 86_400).unwrap_or(i64::MAX / 2);
    let seconds = epoch_s % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        seconds / 3_600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Permissions meant for machines (the reads, and `manage_catalog`); all the reads when none
/// are named.
fn machine_scopes(scopes: Option<Vec<Permission>>) -> Result<BTreeSet<Permission>, ApiError> {
    let scopes: BTreeSet<Permission> = match scopes {
        None => Permission::ALL.into_iter().filter(|p| p.is_read_only()).collect(),
        Some(scopes) => scopes.into_iter().collect(),
    };
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "name at least one permission"));
    }
    if let Some(write) = scopes.iter().find(|p| !p.is_for_machines()) {
        return Err(ApiError::invalid(
            "scopes",
            format!(
                "machine clients may only read, or manage the relying app's permissions (manage_catalog); {write} is neither"
            ),
        ));
    }
    Ok(scopes)
}

fn scopes_json(scopes: &BTreeSet<Permission>) -> String {
    serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into())
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "1 to 100 characters, no control characters"));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::fakes::{FakeCredentials, FakeRateLimiter};

    const NOW: Now<'static> = Now { iso: "2026-11-30T16:40:12.000Z", epoch_s: 1_796_056_812 };
    const PEPPER: &[u8] = &[7; 32];

    fn root() -> Principal {
        Principal::person("root@example.com".into(), "sub".into(), true, Vec::new())
    }

    fn key(name: &str, scopes: Option<Vec<Permission>>, days: Option<u32>) -> CreateApiKeyRequest {
        CreateApiKeyRequest { name: name.into(), scopes, expires_in_days: days }
    }

    fn token(common_name: &str, scopes: Option<Vec<Permission>>) -> RegisterServiceTokenRequest {
        RegisterServiceTokenRequest {
            common_name: common_name.into(),
            name: "Reports".into(),
            scopes,
        }
    }

    fn field_of(error: ApiError) -> Option<String> {
        error.to_problem().field
    }

    #[test]
    fn times_are_written_as_javascript_writes_them() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(NOW.epoch_s), NOW.iso);
        assert_eq!(iso_time(1_709_251_199), "2024-02-29T23:59:59.000Z");
    }

    #[tokio::test]
    async fn an_api_key_is_stored_as_a_keyed_hash_with_every_read_scope_by_default() {
        let store = FakeCredentials::default();
        let issued = create_api_key(
            &store,
            &FakeRateLimiter::open(),
            Some(PEPPER),
            &root(),
            key(" Reports ", None, None),
            NOW,
        )
        .await
        .expect("issued");
        assert!(issued.secret.starts_with("gsk_"));
        assert_eq!(issued.key.name, "Reports");
        assert_eq!(issued.key.expires_at, "2027-02-28T16:40:12.000Z", "90 days by default");
        let read: Vec<Permission> =
            Permission::ALL.into_iter().filter(|p| p.is_read_only()).collect();
        assert_eq!(issued.key.scopes, read);
        let (row, hash) = store.api_keys().pop().expect("stored");
        assert_eq!(hash, api_keys::hash(PEPPER, &issued.secret));
        assert!(!hash.contains(&issued.secret), "the secret is not stored");
        assert_eq!(row.created_by, "root@example.com");
        let audit = store.audit();
        assert_eq!(
            (audit[0].action, audit[0].target.as_deref()),
            ("api_key.issued", Some(&*row.id))
        );
        assert!(!audit[0].after.clone().unwrap_or_default().to_string().contains(&issued.secret));
    }

    #[tokio::test]
    async fn a_key_may_register_the_relying_apps_permissions() {
        let scopes = Some(vec![Permission::ManageCatalog, Permission::ReadGroups]);
        let issued = create_api_key(
            &FakeCredentials::default(),
            &FakeRateLimiter::open(),
            Some(PEPPER),
            &root(),
            key("Deploys", scopes, None),
            NOW,
        )
        .await
        .expect("issued");
        assert_eq!(issued.key.scopes, [Permission::ReadGroups, Permission::ManageCatalog]);
    }

    #[tokio::test]
    async fn a_key_is_refused_a_write_scope_a_bad_lifetime_or_a_missing_pepper() {
        let store = FakeCredentials::default();
        let limits = FakeRateLimiter::open();
        let write = Some(vec![Permission::ReadGroups, Permission::AssignRoles]);
        for (request, field) in [
            (key("Reports", write, None), "scopes"),
            (key("Reports", Some(Vec::new()), None), "scopes"),
            (key("Reports", None, Some(0)), "expires_in_days"),
            (key("Reports", None, Some(MAX_KEY_DAYS + 1)), "expires_in_days"),
            (key("  ", None, None), "name"),
        ] {
            let error = create_api_key(&store, &limits, Some(PEPPER), &root(), request, NOW).await;
            assert_eq!(field_of(error.unwrap_err()).as_deref(), Some(field));
        }
        let unpeppered = key("Reports", None, None);
        let error = create_api_key(&store, &limits, None, &root(), unpeppered, NOW).await;
        assert_eq!(error.unwrap_err().to_problem().code, "misconfigured");
        assert!(store.api_keys().is_empty());
        assert_eq!(limits.admitted(), 0, "a refusal is not counted against the write limit");
    }

    #[tokio::test]
    async fn a_service_token_is_registered_once() {
        let store = FakeCredentials::default();
        let limits = FakeRateLimiter::open();
        let admin = root();
        let registered =
            register_service_token(&store, &limits, &admin, token(" abc.access ", None), NOW.iso)
                .await
                .expect("registered");
        assert_eq!(
            (registered.common_name.as_str(), registered.name.as_str()),
            ("abc.access", "Reports")
        );
        assert_eq!(store.audit()[0].action, "service_token.registered");
        let again =
            register_service_token(&store, &limits, &admin, token("abc.access", None), NOW.iso)
                .await;
        assert_eq!(again.unwrap_err().to_problem().code, "already_exists");
        assert_eq!(store.audit().len(), 1);
    }

    #[tokio::test]
    async fn a_service_token_needs_an_access_client_id_and_read_scopes() {
        let store = FakeCredentials::default();
        let limits = FakeRateLimiter::open();
        for (request, field) in [
            (token("has space", None), "common_name"),
            (token(&"a".repeat(MAX_COMMON_NAME_BYTES + 1), None), "common_name"),
            (token("abc", Some(vec![Permission::RunSync])), "scopes"),
        ] {
            let error = register_service_token(&store, &limits, &root(), request, NOW.iso).await;
            assert_eq!(field_of(error.unwrap_err()).as_deref(), Some(field));
        }
        assert!(store.audit().is_empty());
        assert_eq!(limits.admitted(), 0, "refused before the write is counted");
    }

    #[tokio::test]
    async fn a_service_token_with_a_bad_name_or_registered_already_is_counted() {
        // Pins today's order (see `RateLimiter`): the name is checked after the write is
        // counted, and so is the store's refusal of a common name registered already.
        let store = FakeCredentials::default();
        let limits = FakeRateLimiter::open();
        let nameless = RegisterServiceTokenRequest { name: "  ".into(), ..token("abc", None) };
        let error = register_service_token(&store, &limits, &root(), nameless, NOW.iso).await;
        assert_eq!(field_of(error.unwrap_err()).as_deref(), Some("name"));
        assert_eq!(limits.admitted(), 1);
        register_service_token(&store, &limits, &root(), token("abc", None), NOW.iso)
            .await
            .expect("registered");
        let again =
            register_service_token(&store, &limits, &root(), token("abc", None), NOW.iso).await;
        assert_eq!(again.unwrap_err().to_problem().code, "already_exists");
        assert_eq!(limits.admitted(), 3);
    }
}
