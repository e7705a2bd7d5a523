//! Identity endpoints: `/me` and the local dev sign-in.

use groupsync_core::api::{CallerKind, DevSignInRequest, DevSignInResponse, MeResponse};
use groupsync_core::auth::sign_rs256;
use groupsync_core::domain::Email;
use worker::{Request, Response};

use crate::config::{DEV_AUDIENCE, DEV_ISSUER};
use crate::error::ApiError;
use crate::http::context::{Ctx, is_loopback_request, read_json};
use crate::http::respond;
use crate::service::access::{Caller, Principal};

/// How long a dev sign-in lasts.
const DEV_TOKEN_LIFETIME_S: u64 = 8 * 3_600;

/// `GET /api/v1/me`.
pub(crate) fn get_me(principal: &Principal) -> Result<Response, ApiError> {
    let (kind, name) = match &principal.caller {
        Caller::Person { email, .. } => (CallerKind::Person, email.clone()),
        Caller::Machine { name, .. } => (CallerKind::Machine, name.clone()),
    };
    let me = MeResponse {
        kind,
        name,
        super_admin: principal.super_admin,
        roles: principal.roles.clone(),
        permissions: principal.permissions.iter().copied().collect(),
        okta_user_id: principal.okta_user_id.clone(),
        notes: principal.notes.clone(),
    };
    respond::json(&me, 200)
}

/// `POST /api/v1/dev/sign-in`: mints a token for any email, so only when the dev sign-in is on
/// (never in production: the configuration refuses it) and the request came to a loopback host.
/// Otherwise the route does not exist.
pub(crate) async fn dev_sign_in(req: &mut Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let dev = match &ctx.config.dev_sign_in {
        Some(dev) if is_loopback_request(req) => dev,
        _ => return Err(ApiError::NotFound { path: req.path() }),
    };
    let body: DevSignInRequest = read_json(req).await?;
    let email = parse_email(&body.email)?;
    ctx.rate_limit("dev-sign-in", "loopback", 60).await?;
    let expires_at = ctx.now_s + DEV_TOKEN_LIFETIME_S;
    let claims = serde_json::json!({
        "iss": DEV_ISSUER, "aud": [DEV_AUDIENCE], "sub": email, "email": email,
        "iat": ctx.now_s, "nbf": ctx.now_s, "exp": expires_at,
    });
    let token = sign_rs256(&claims, &dev.verification_key.kid, &dev.signing_key);
    respond::json(&DevSignInResponse { token, expires_at }, 200)
}

/// An email sent in a body or a path, parsed once (trimmed, lowercased, plausible): a `422
/// invalid_input` about the field `email` when it is not one.
pub(crate) fn parse_email(text: &str) -> Result<String, ApiError> {
    Email::parse(text).map(Email::into_string).map_err(|e| ApiError::invalid("email", e))
}
