//! The Worker's entry points: one-time setup, the `fetch` handler that routes `/api/v1`, and the
//! cron trigger. Every request goes: route → guard → (configuration) → credential (its checks
//! that need no D1) → one D1 batch (the caller's facts, and a read-only endpoint's own reads) →
//! authorization → answer or handler; errors become problem+json in one place
//! (`http::respond`).

use groupsync_core::api::ProblemCode;
use groupsync_core::domain::{IdentityMatch, SYNC_TRIGGERS};
use worker::{
    Context, Env, Request, Response, ScheduleContext, ScheduledEvent, console_error, console_log,
    event,
};

use crate::adapters::d1::{PersonRecord, Planned};
use crate::error::ApiError;
use crate::http::context::{Ctx, own_origin};
use crate::http::guard::{self, CSRF_HEADER, RequestFacts};
use crate::http::handlers::{
    Answer, access, admin, answer, answer_alone, audit, catalog, groups, health, okta_hooks,
    people, settings, sync, webhooks,
};
use crate::http::routes::{self, Endpoint, Matched};
use crate::http::{identity, respond};
use crate::service::access::{Access, Caller, Principal};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    respond::finish(handle(&mut req, env).await)
}

/// Routes one request through the checks to its handler.
async fn handle(req: &mut Request, env: Env) -> Result<Response, ApiError> {
    // As sent: `Request::method` reads a method workers-rs has no name for as GET.
    let method = req.inner().method();
    let matched = routes::resolve(&method, &req.path())?;
    // Okta's calls carry the hook's secret, not a browser's cookie or a person's identity: no
    // cross-site request can forge them, and their handlers authenticate them.
    match matched.endpoint {
        Endpoint::VerifyOktaEventHook => return okta_hooks::verify_hook(req, &env).await,
        Endpoint::ReceiveOktaEvents => return okta_hooks::receive_events(req, &env).await,
        _ => {}
    }
    check_guard(req, &method)?;
    if matched.endpoint == Endpoint::Health {
        return health::get_health(&env).await;
    }
    if matched.endpoint == Endpoint::OpenApi {
        return respond::json_text(crate::http::openapi::DOCUMENT);
    }
    let ctx = Ctx::new(&env)?;
    if matched.access == Access::Public {
        return dispatch_public(&matched, req, &ctx).await;
    }
    let identified = identity::identify(req, &ctx).await?;
    let write = guard::is_write(&method) && !matched.endpoint.only_reads();
    // A read-only endpoint's reads are planned now and sent in the caller's batch: one D1 round
    // trip for the whole request. Its answer is made below, only once the caller is authorized;
    // until then nothing read leaves the Worker (and a bad query waits for that too, so that an
    // unauthenticated caller learns nothing from it).
    let planned = if method == "GET" { plan_read(&matched, req, &ctx) } else { None };
    let caller_reads = identity::plan_caller(&identified, &ctx)?;
    let (facts, answer) = match planned {
        Some(read) => {
            let (facts, answer) = caller_reads.and(read).run(&ctx.store).await?;
            (facts, Some(answer))
        }
        None => (caller_reads.run(&ctx.store).await?, None),
    };
    let (caller, person) = identity::caller(identified, facts, &ctx).await?;
    let principal = load_principal(caller, person, &ctx).await?;
    principal.authorize(matched.access, write)?;
    match answer {
        Some(answer) => answer?(&principal),
        None => dispatch(&matched, req, &ctx, &env, &principal).await,
    }
}

/// The planned reads of the read-only endpoints that have them, each with how it answers (or
/// the refusal of its request, kept until the caller is authorized). The audit export is not
/// planned: it reads page after page, each page's query depending on the last.
fn plan_read(
    matched: &Matched,
    req: &Request,
    ctx: &Ctx,
) -> Option<Planned<Result<Answer, ApiError>>> {
    let planned = match matched.endpoint {
        Endpoint::Me => Ok(Planned::nothing().map(|()| answer(access::get_me))),
        Endpoint::ListGroups => groups::list_groups(req, ctx),
        Endpoint::GetGroup => groups::get_group(&decoded(matched, "id"), ctx),
        Endpoint::ListGroupMembers => groups::list_members(&decoded(matched, "id"), req, ctx),
        Endpoint::GetUserAccess => people::get_user_access(&decoded(matched, "email"), ctx),
        Endpoint::CheckAccess => people::check_access(req, ctx),
        Endpoint::GetSyncStatus => health::get_sync_status(ctx),
        Endpoint::ListRoles => catalog::list_roles(ctx),
        Endpoint::ListPermissions => catalog::list_permissions(ctx),
        Endpoint::ListUsers => people::list_users(req, ctx),
        Endpoint::ListInvitations => people::list_invitations(req, ctx),
        Endpoint::ListSyncRuns => sync::list_sync_runs(req, ctx),
        Endpoint::GetSyncRun => sync::get_sync_run(&decoded(matched, "id"), ctx),
        Endpoint::GetOktaSettings => settings::get_okta_settings(ctx),
        Endpoint::GetOktaEventHook => okta_hooks::get_event_hook(req, ctx),
        Endpoint::ListSuperAdmins => admin::list_super_admins(ctx),
        Endpoint::ListApiKeys => admin::list_api_keys(ctx),
        Endpoint::ListServiceTokens => admin::list_service_tokens(ctx),
        Endpoint::ListWebhooks => webhooks::list_webhooks(ctx),
        Endpoint::ListWebhookDeliveries => {
            webhooks::list_deliveries(&decoded(matched, "id"), req, ctx)
        }
        Endpoint::RoleImpact => catalog::role_impact(&decoded(matched, "key"), ctx),
        Endpoint::ListAudit => audit::list_audit(req, ctx),
        _ => return None,
    };
    Some(match planned {
        Ok(read) => read.map(Ok),
        Err(refusal) => Planned::new(Vec::new(), move |_| Ok(Err(refusal))),
    })
}

fn check_guard(req: &Request, method: &str) -> Result<(), ApiError> {
    let headers = req.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let (origin, sec_fetch_site, content_type, content_length, csrf) = (
        get("Origin"),
        get("Sec-Fetch-Site"),
        get("Content-Type"),
        get("Content-Length"),
        get(CSRF_HEADER.0),
    );
    let own_origin = own_origin(req);
    guard::check(&RequestFacts {
        method,
        own_origin: &own_origin,
        origin: origin.as_deref(),
        sec_fetch_site: sec_fetch_site.as_deref(),
        content_type: content_type.as_deref(),
        content_length: content_length.as_deref(),
        csrf_header: csrf.as_deref(),
    })
}

/// Fills the principal from what D1 said about the caller, read on every request in its one
/// batch (so the superAdmin status and the roles are of one moment): superAdmin status
/// (bootstrapping the first one from the deploy-time list), the roles of the person's synced
/// Okta groups (while their Okta status holds them, see `domain::holds_group_roles`; the Okta
/// user is the one bound to the sign-in, see `domain::identity`), and the first sign-in of a
/// person (recorded for the People table) and of an invitation. A write happens only when there
/// is something to bootstrap, bind, record or activate.
async fn load_principal(
    caller: Caller,
    person: Option<PersonRecord>,
    ctx: &Ctx,
) -> Result<Principal, ApiError> {
    match (caller, person) {
        (Caller::Person { email, subject }, Some(mut person)) => {
            let mut super_admin = person.super_admin;
            if !super_admin && ctx.config.bootstrap_super_admins.contains(&email) {
                super_admin = ctx.store.bootstrap_super_admin(&email, &ctx.now).await?;
            }
            if let IdentityMatch::NewBinding(okta_user_id) = &person.identity
                && !ctx.store.bind_identity(&subject, &email, okta_user_id, &ctx.now).await?
            {
                // Another sign-in was bound to this Okta user at the same moment.
                person.identity = IdentityMatch::BoundToAnother;
                person.user = None;
                person.grants.clear();
            }
            if person.invited || !person.signed_in_before {
                ctx.store.record_sign_in(&email, person.invited, &ctx.now).await?;
            }
            let okta_user_id = person.identity.okta_user_id().map(str::to_owned);
            let notes = person.identity.note(&email).into_iter().collect();
            let roles = people::roles_of_person(person);
            Ok(Principal {
                okta_user_id,
                notes,
                ..Principal::person(email, subject, super_admin, roles)
            })
        }
        (Caller::Machine { name, scopes }, _) => Ok(Principal::machine(name, scopes)),
        (Caller::Person { .. }, None) => {
            Err(ApiError::client(ProblemCode::Internal, "a person's facts were not read"))
        }
    }
}

async fn dispatch_public(
    matched: &Matched,
    req: &mut Request,
    ctx: &Ctx,
) -> Result<Response, ApiError> {
    match matched.endpoint {
        Endpoint::DevSignIn => access::dev_sign_in(req, ctx).await,
        _ => Err(ApiError::NotFound { path: req.path() }),
    }
}

async fn dispatch(
    matched: &Matched,
    req: &mut Request,
    ctx: &Ctx,
    env: &Env,
    principal: &Principal,
) -> Result<Response, ApiError> {
    let param = |name: &str| decoded(matched, name);
    let store = &ctx.store;
    match matched.endpoint {
        Endpoint::Me => access::get_me(principal),
        Endpoint::ListGroups => answer_alone(groups::list_groups(req, ctx), store, principal).await,
        Endpoint::GetGroup => {
            answer_alone(groups::get_group(&param("id"), ctx), store, principal).await
        }
        Endpoint::ListGroupMembers => {
            answer_alone(groups::list_members(&param("id"), req, ctx), store, principal).await
        }
        Endpoint::GetUserAccess => {
            answer_alone(people::get_user_access(&param("email"), ctx), store, principal).await
        }
        Endpoint::CheckAccess => {
            answer_alone(people::check_access(req, ctx), store, principal).await
        }
        Endpoint::GetSyncStatus => {
            answer_alone(health::get_sync_status(ctx), store, principal).await
        }
        Endpoint::ListRoles => answer_alone(catalog::list_roles(ctx), store, principal).await,
        Endpoint::GetOktaSettings => {
            answer_alone(settings::get_okta_settings(ctx), store, principal).await
        }
        Endpoint::UpdateOktaSettings => settings::update_okta_settings(req, ctx, principal).await,
        Endpoint::TestOktaConnection => settings::test_okta_connection(req, ctx, principal).await,
        Endpoint::MakeServiceAppKey => settings::make_service_app_key(ctx, principal).await,
        Endpoint::GetOktaEventHook => {
            answer_alone(okta_hooks::get_event_hook(req, ctx), store, principal).await
        }
        Endpoint::RotateOktaEventHookSecret => {
            okta_hooks::rotate_event_hook_secret(req, ctx, principal).await
        }
        Endpoint::ListSuperAdmins => {
            answer_alone(admin::list_super_admins(ctx), store, principal).await
        }
        Endpoint::GrantSuperAdmin => admin::grant_super_admin(req, ctx, principal).await,
        Endpoint::RevokeSuperAdmin => {
            admin::revoke_super_admin(&param("email"), ctx, principal).await
        }
        Endpoint::ListApiKeys => answer_alone(admin::list_api_keys(ctx), store, principal).await,
        Endpoint::CreateApiKey => admin::create_api_key(req, ctx, principal).await,
        Endpoint::RevokeApiKey => admin::revoke_api_key(&param("id"), ctx, principal).await,
        Endpoint::ListWebhooks => {
            answer_alone(webhooks::list_webhooks(ctx), store, principal).await
        }
        Endpoint::CreateWebhook => webhooks::create_webhook(req, ctx, principal).await,
        Endpoint::DeleteWebhook => webhooks::delete_webhook(&param("id"), ctx, principal).await,
        Endpoint::ListWebhookDeliveries => {
            answer_alone(webhooks::list_deliveries(&param("id"), req, ctx), store, principal).await
        }
        Endpoint::RedeliverWebhook => {
            webhooks::redeliver(&param("id"), &param("message_id"), ctx, env, principal).await
        }
        Endpoint::ListServiceTokens => {
            answer_alone(admin::list_service_tokens(ctx), store, principal).await
        }
        Endpoint::RegisterServiceToken => admin::register_service_token(req, ctx, principal).await,
        Endpoint::RevokeServiceToken => {
            admin::revoke_service_token(&param("common_name"), ctx, principal).await
        }
        Endpoint::SetGroupRoles => {
            groups::set_group_roles(&param("id"), req, ctx, env, principal).await
        }
        Endpoint::StartSync => sync::start_sync(req, ctx, env, principal).await,
        Endpoint::ListSyncRuns => {
            answer_alone(sync::list_sync_runs(req, ctx), store, principal).await
        }
        Endpoint::GetSyncRun => {
            answer_alone(sync::get_sync_run(&param("id"), ctx), store, principal).await
        }
        Endpoint::ConfirmSyncRun => {
            sync::resolve_sync_run(&param("id"), true, ctx, env, principal).await
        }
        Endpoint::DiscardSyncRun => {
            sync::resolve_sync_run(&param("id"), false, ctx, env, principal).await
        }
        Endpoint::CreateInvitation => people::create_invitation(req, ctx, principal).await,
        Endpoint::RevokeInvitation => {
            people::revoke_invitation(&param("email"), ctx, principal).await
        }
        Endpoint::ListInvitations => {
            answer_alone(people::list_invitations(req, ctx), store, principal).await
        }
        Endpoint::ListUsers => answer_alone(people::list_users(req, ctx), store, principal).await,
        Endpoint::CheckAccessBatch => people::check_access_batch(req, ctx).await,
        Endpoint::ListPermissions => {
            answer_alone(catalog::list_permissions(ctx), store, principal).await
        }
        Endpoint::CreateRole => catalog::create_role(req, ctx, principal).await,
        Endpoint::UpdateRole => catalog::update_role(&param("key"), req, ctx, principal).await,
        Endpoint::RoleImpact => {
            answer_alone(catalog::role_impact(&param("key"), ctx), store, principal).await
        }
        Endpoint::DeleteRole => catalog::delete_role(&param("key"), ctx, env, principal).await,
        Endpoint::RegisterPermission => catalog::register_permission(req, ctx, principal).await,
        Endpoint::RemovePermission => {
            catalog::remove_permission(&param("name"), ctx, principal).await
        }
        Endpoint::CreateGroup => groups::create_group(req, ctx, principal).await,
        Endpoint::ListAudit => answer_alone(audit::list_audit(req, ctx), store, principal).await,
        Endpoint::ExportAudit => audit::export_audit(req, ctx).await,
        Endpoint::Health
        | Endpoint::DevSignIn
        | Endpoint::OpenApi
        | Endpoint::VerifyOktaEventHook
        | Endpoint::ReceiveOktaEvents => Err(ApiError::NotFound { path: req.path() }),
    }
}

/// The value of the path parameter `name`, percent-decoded (`ann%40example.com` is
/// `ann@example.com`); empty when the route has none.
fn decoded(matched: &Matched, name: &str) -> String {
    let Some(segment) = matched.param(name) else { return String::new() };
    url::form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// The cron trigger: the same sync as the button, when Okta is configured and sync is on.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The sender keeps its own alarm; this wakes it should that alarm ever be lost.
    crate::webhooks::kick(&env).await;
    let started = match Ctx::new(&env) {
        Ok(ctx) => sync::start_scheduled_sync(&ctx, &env, is_full_sync_cron(&event.cron())).await,
        Err(error) => Err(error),
    };
    match started {
        Ok(Some(run)) => console_log!("cron {}: sync run {run} started (or joined)", event.cron()),
        Ok(None) => console_log!("cron {}: Okta sync is off; nothing to do", event.cron()),
        Err(error) => {
            console_error!("cron {}: the scheduled sync did not start: {error}", event.cron());
        }
    }
}

/// Whether the trigger `cron` re-reads every group (the triggers are in `groupsync-core`).
fn is_full_sync_cron(cron: &str) -> bool {
    SYNC_TRIGGERS.iter().any(|trigger| trigger.full && trigger.cron == cron)
}
