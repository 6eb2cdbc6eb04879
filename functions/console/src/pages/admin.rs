//! Administration: users and their roles, API keys (the key shown once), third-party apps (the
//! client secret shown once), the audit log with its filters and chain check, and the tenant's
//! settings.

use super::{html, non_empty, parse_query, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use faultline::domain::audit::{AuditEntry, ChainReport};
use faultline::domain::{ApiKeyId, OAuthAppId, Scope};
use faultline::http::{Authorized, Json, Path, Query};
use faultline::views::{ApiKeyView, OAuthAppView, TenantView, UserView};
use faultline::AppState;
use faultline_api::routes::{audit, tenants, users};
use serde::Deserialize;
use serde_json::json;

/// Users, API keys and third-party apps on one page.
#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    chrome: Chrome,
    users: Option<Vec<UserView>>,
    keys: Option<Vec<ApiKeyView>>,
    apps: Option<Vec<OAuthAppView>>,
    roles: &'static [&'static str],
    /// A key or client secret just created, shown once: (what, id, secret).
    created: Option<(String, String, String)>,
}

async fn access_page(
    state: &AppState,
    session: &Session,
    created: Option<(String, String, String)>,
) -> PageResult {
    let users = match session.can(Scope::UsersManage) {
        true => Some(
            users::list(
                State(state.clone()),
                Authorized::check(&session.principal)?,
                super::first_page(100),
            )
            .await?
            .0
            .items,
        ),
        false => None,
    };
    let (keys, apps) = match session.can(Scope::KeysManage) {
        true => (
            Some(
                faultline_auth::list(
                    State(state.clone()),
                    Authorized::check(&session.principal)?,
                    super::first_page(100),
                )
                .await?
                .0
                .items,
            ),
            Some(
                faultline_auth::oauth_apps::list(
                    State(state.clone()),
                    Authorized::check(&session.principal)?,
                    super::first_page(100),
                )
                .await?
                .0
                .items,
            ),
        ),
        false => (None, None),
    };
    Ok(html(&AccessPage {
        chrome: Chrome::of(session, "/console/access"),
        users,
        keys,
        apps,
        roles: &["viewer", "developer", "manager", "admin"],
        created,
    }))
}

/// `GET /console/access`: users, keys and apps (each part needs its scope).
pub async fn access(State(state): State<AppState>, session: Session) -> PageResult {
    if !(session.can(Scope::UsersManage) || session.can(Scope::KeysManage)) {
        return Err(faultline::http::ApiError::MissingScope(Scope::UsersManage).into());
    }
    access_page(&state, &session, None).await
}

/// The forms of the access page.
#[derive(Debug, Deserialize)]
pub struct AccessForm {
    action: String,
    email: Option<String>,
    password: Option<String>,
    role: Option<String>,
    name: Option<String>,
    scopes: Option<String>,
    redirect_uris: Option<String>,
    id: Option<String>,
}

fn words(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `POST /console/access`: invite a user, create or revoke a key, register or revoke an app —
/// each through its API route.
pub async fn change_access(
    State(state): State<AppState>,
    SignedForm { session, form }: SignedForm<AccessForm>,
) -> PageResult {
    let call = |method, path: String, body: Option<serde_json::Value>| {
        let session = &session;
        async move { api::call(session, method, &path, body.as_ref()).await }
    };
    let post = http::Method::POST;
    let created = match form.action.as_str() {
        "create-user" => {
            call(
                post,
                "/v1/users".into(),
                Some(json!({
                    "email": form.email.unwrap_or_default(),
                    "password": form.password.unwrap_or_default(),
                    "role": form.role.unwrap_or_default(),
                })),
            )
            .await?;
            None
        }
        "create-key" => {
            let mut body = json!({"name": form.name.unwrap_or_default()});
            let scopes = words(form.scopes);
            if !scopes.is_empty() {
                body["scopes"] = json!(scopes);
            }
            let key = call(post, "/v1/auth/api-keys".into(), Some(body)).await?;
            Some(("API key".into(), text(&key["id"]), text(&key["key"])))
        }
        "revoke-key" => {
            let id = form
                .id
                .as_deref()
                .and_then(ApiKeyId::parse)
                .map(|id| id.to_string())
                .unwrap_or_default();
            call(
                http::Method::DELETE,
                format!("/v1/auth/api-keys/{id}"),
                None,
            )
            .await?;
            None
        }
        "create-app" => {
            let mut body = json!({
                "name": form.name.unwrap_or_default(),
                "redirect_uris": words(form.redirect_uris),
            });
            let scopes = words(form.scopes);
            if !scopes.is_empty() {
                body["scopes"] = json!(scopes);
            }
            let app = call(post, "/v1/oauth-apps".into(), Some(body)).await?;
            Some((
                "client secret of app".into(),
                text(&app["id"]),
                text(&app["client_secret"]),
            ))
        }
        "revoke-app" => {
            let id = non_empty(form.id)
                .and_then(|id| OAuthAppId::parse(&id))
                .map(|id| id.to_string())
                .unwrap_or_default();
            call(http::Method::DELETE, format!("/v1/oauth-apps/{id}"), None).await?;
            None
        }
        _ => return Err(crate::error::ConsoleError::NotFound),
    };
    match created {
        Some(created) => access_page(&state, &session, Some(created)).await,
        None => Ok(Redirect::to("/console/access").into_response()),
    }
}

fn text(value: &serde_json::Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The audit page.
#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    filters: AuditFilters,
    entries: Vec<AuditEntry>,
    chain: Option<ChainReport>,
}

/// The audit filters as the form shows them again.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilters {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    verify: Option<String>,
}

/// `GET /console/audit`: the tenant's audit log, filtered, and (`?verify=1`) its chain checked.
pub async fn audit_log(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let raw = raw.unwrap_or_default();
    let filters: AuditFilters = parse_query(&raw)?;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            [
                ("action", &filters.action),
                ("actor", &filters.actor),
                ("resource_id", &filters.resource_id),
                ("since", &filters.since),
            ]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k, v.trim())),
        )
        .finish();
    let Json(page) = audit::list(
        State(state.clone()),
        session.principal.clone(),
        Query(parse_query(&query)?),
        super::first_page(100),
    )
    .await?;
    let chain = match filters.verify {
        Some(_) => Some(
            audit::verify(
                State(state),
                session.principal.clone(),
                Query(parse_query("")?),
            )
            .await?
            .0,
        ),
        None => None,
    };
    Ok(html(&AuditPage {
        chrome: Chrome::of(&session, "/console/audit"),
        filters,
        entries: page.items,
        chain,
    }))
}

/// The settings page.
#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    tenant: TenantView,
    settings: String,
}

/// `GET /console/settings`: the tenant and its settings (changed with `PATCH /v1/tenants/{id}`).
pub async fn settings(State(state): State<AppState>, session: Session) -> PageResult {
    let tenant_id =
        faultline::http::require_scope(&session.principal, Scope::TenantManage)?.clone();
    let Json(tenant) =
        tenants::get(State(state), session.principal.clone(), Path(tenant_id)).await?;
    Ok(html(&SettingsPage {
        chrome: Chrome::of(&session, "/console/settings"),
        settings: serde_json::to_string_pretty(&tenant.settings).unwrap_or_default(),
        tenant,
    }))
}
