//! The control API over HTTP, for tests that run the fake as a separate process. It lives under
//! `/__control/` on the same port as the Okta surface, needs no token, counts in no rate limit
//! and is never faulted. Bodies are JSON; answers are JSON (`{"ok":true}` for changes), 404
//! `{"error":…}` for an unknown group, user, token or route, 400 for a malformed body. The routes
//! are listed in the crate docs.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::control::{Control, Shared};
use crate::faults::FaultSpec;
use crate::hooks::{HookError, HookRegistration};
use crate::oauth::ServiceApp;
use crate::rate_limit::RateLimitConfig;
use crate::server::ResponseBody;
use crate::tenant::{ControlError, UserStatus};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewGroup {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    assign: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetStatus {
    status: UserStatus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetEmail {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoke {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Latency {
    ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewHook {
    url: String,
    secret: String,
    #[serde(default)]
    duplicate_every: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetime {
    seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpireAfter {
    requests: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockOffset {
    seconds: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchLag {
    lags: bool,
}

/// Answers one control request.
pub(crate) async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<ResponseBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return reply(Err(ControlError::BadRequest(e.to_string()))),
    };
    let control = Control { shared: Arc::clone(shared) };
    // The one control route that waits: registering a hook verifies it first.
    if method == Method::POST && path.trim_end_matches('/') == "/__control/event-hook" {
        let registered = match parse::<NewHook>(&body) {
            Ok(hook) => control
                .register_event_hook(HookRegistration {
                    url: hook.url,
                    secret: hook.secret,
                    duplicate_every: hook.duplicate_every,
                })
                .await
                .map_err(|HookError::VerificationFailed(why)| ControlError::BadRequest(why))
                .and_then(|()| ok()),
            Err(error) => Err(error),
        };
        return reply(registered);
    }
    reply(dispatch(&control, &method, &path, &body))
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(body).map_err(|e| ControlError::BadRequest(e.to_string()))
}

fn ok() -> Result<Value, ControlError> {
    Ok(json!({ "ok": true }))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ControlError> {
    serde_json::to_value(value).map_err(|e| ControlError::BadRequest(e.to_string()))
}

fn dispatch(c: &Control, method: &Method, path: &str, body: &Bytes) -> Result<Value, ControlError> {
    let segments: Vec<String> = path
        .trim_end_matches('/')
        .split('/')
        .skip(2)
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = method.as_str();
    match (m, segments.as_slice()) {
        ("GET", ["info"]) => to_json(c.info()),
        ("GET", ["truth"]) => to_json(&c.truth()),
        ("POST", ["groups"]) => {
            let new: NewGroup = parse(body)?;
            let id = c.create_group(&new.name, new.description.as_deref(), new.assign)?;
            Ok(json!({ "id": id }))
        }
        ("POST", ["groups", id, "assign"]) => c.assign_group(id).and_then(|()| ok()),
        ("POST", ["groups", id, "unassign"]) => c.unassign_group(id).and_then(|()| ok()),
        ("POST", ["everyone", "assign"]) => c.assign_everyone().and_then(|()| ok()),
        ("POST", ["everyone", "unassign"]) => c.unassign_everyone().and_then(|()| ok()),
        ("POST", ["groups", id, "rename"]) => {
            let rename: Rename = parse(body)?;
            c.rename_group(id, &rename.name).and_then(|()| ok())
        }
        ("DELETE", ["groups", id]) => c.delete_group(id).and_then(|()| ok()),
        ("PUT", ["groups", id, "members", user]) => c.add_member(id, user).and_then(|()| ok()),
        ("DELETE", ["groups", id, "members", user]) => {
            c.remove_member(id, user).and_then(|()| ok())
        }
        ("PUT", ["users", user, "status"]) => {
            let status: SetStatus = parse(body)?;
            c.set_user_status(user, status.status).and_then(|()| ok())
        }
        ("PUT", ["users", user, "email"]) => {
            let email: SetEmail = parse(body)?;
            c.set_user_email(user, &email.email).and_then(|()| ok())
        }
        ("POST", ["tokens", "revoke"]) => {
            let revoke: Revoke = parse(body)?;
            c.revoke_token(&revoke.token).and_then(|()| ok())
        }
        ("POST", ["oauth", "apps"]) => {
            let app: ServiceApp = parse(body)?;
            Ok(json!({ "client_id": c.register_service_app(app)? }))
        }
        ("GET", ["oauth", "apps"]) => to_json(&c.service_apps()),
        ("GET", ["oauth", "token-lifetime"]) => {
            Ok(json!({ "seconds": c.access_token_lifetime().as_secs() }))
        }
        ("PUT", ["oauth", "token-lifetime"]) => {
            let lifetime: Lifetime = parse(body)?;
            c.set_access_token_lifetime(Duration::from_secs(lifetime.seconds));
            ok()
        }
        ("POST", ["oauth", "tokens", "expire"]) => {
            Ok(json!({ "ok": true, "expired": c.expire_access_tokens() }))
        }
        ("GET", ["oauth", "tokens", "expire-after"]) => {
            Ok(json!({ "remaining": c.access_token_expiry_pending() }))
        }
        ("POST", ["oauth", "tokens", "expire-after"]) => {
            let after: ExpireAfter = parse(body)?;
            c.expire_access_tokens_after(after.requests);
            ok()
        }
        ("GET", ["oauth", "tokens"]) => Ok(json!({ "access_tokens": c.issued_access_tokens() })),
        ("GET", ["oauth", "last-assertion"]) => {
            Ok(json!({ "client_assertion": c.last_accepted_assertion() }))
        }
        ("GET", ["oauth", "dpop-clock-offset"]) => Ok(json!({ "seconds": c.dpop_clock_offset() })),
        ("PUT", ["oauth", "dpop-clock-offset"]) => {
            let offset: ClockOffset = parse(body)?;
            c.set_dpop_clock_offset(offset.seconds);
            ok()
        }
        ("GET", ["oauth", "dpop-nonce"]) => Ok(json!({ "nonce": c.dpop_nonce() })),
        ("POST", ["oauth", "dpop-nonce", "rotate"]) => {
            c.rotate_dpop_nonce();
            ok()
        }
        ("GET", ["faults"]) => to_json(&c.faults()),
        ("POST", ["faults"]) => {
            let spec: FaultSpec = parse(body)?;
            Ok(json!({ "id": c.add_fault(spec) }))
        }
        ("DELETE", ["faults"]) => {
            c.clear_faults();
            ok()
        }
        ("GET", ["latency"]) => Ok(json!({ "ms": c.latency().as_millis() as u64 })),
        ("PUT", ["latency"]) => {
            let latency: Latency = parse(body)?;
            c.set_latency(Duration::from_millis(latency.ms));
            ok()
        }
        ("GET", ["limits"]) => to_json(&c.limits()),
        ("PUT", ["limits"]) => {
            let merged = merge(to_json(&c.limits())?, parse(body)?);
            let limits: RateLimitConfig = serde_json::from_value(merged)
                .map_err(|e| ControlError::BadRequest(e.to_string()))?;
            c.set_limits(limits);
            to_json(&limits)
        }
        ("POST", ["limits", "reset"]) => {
            c.reset_rate_limits();
            ok()
        }
        ("GET", ["counters"]) => to_json(&c.counters()),
        ("GET", ["event-hook"]) => to_json(&c.hook_counters()),
        ("PUT", ["search-lag"]) => {
            let lag: SearchLag = parse(body)?;
            c.set_search_lag(lag.lags);
            ok()
        }
        ("DELETE", ["counters"]) => {
            c.reset_counters();
            ok()
        }
        _ => Err(ControlError::BadRequest(format!("no control route {m} {path}"))),
    }
}

/// Overlays a partial JSON object onto a full one, recursively (for partial `PUT /limits`).
fn merge(mut base: Value, patch: Value) -> Value {
    match (&mut base, patch) {
        (Value::Object(base_map), Value::Object(patch_map)) => {
            for (key, value) in patch_map {
                let merged = merge(base_map.remove(&key).unwrap_or(Value::Null), value);
                base_map.insert(key, merged);
            }
            base
        }
        (_, patch) => patch,
    }
}

fn reply(result: Result<Value, ControlError>) -> Response<ResponseBody> {
    let (status, body) = match result {
        Ok(value) => (StatusCode::OK, value),
        Err(e) => {
            let status = match e {
                ControlError::BadRequest(ref why) if why.starts_with("no control route") => {
                    StatusCode::NOT_FOUND
                }
                ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::NOT_FOUND,
            };
            (status, json!({ "error": e.to_string() }))
        }
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = Response::new(ResponseBody::full(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
