//! The `auth` function: API key management under `/v1/auth`, the token endpoint, and third-party
//! apps under `/v1/oauth-apps`. The key check itself lives in the
//! shared crate, so every function authenticates the same way.

pub mod oauth_apps;
mod token;

use axum::extract::State;
use faultline::domain::ApiKeyId;
use faultline::domain::{Principal, Scope};
use faultline::http::scopes::KeysManage;
use faultline::http::{
    checked_name, ApiError, Audited, Authorized, Json, Page, Path, RouteList, Routes,
};
use faultline::routes;
use faultline::services::api_keys::{issue_api_key_for, DEFAULT_KEY_LIFETIME_DAYS};
use faultline::views::{ApiKeyPage, ApiKeyView, CallerView};
use faultline::AppState;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::Value;

/// Every route of this function: the token endpoint is public (the client authenticates in the
/// request itself), the key routes sit behind authentication and the audit log.
pub fn routes() -> Routes {
    Routes {
        public: RouteList::new().routes(routes!(token::handle)),
        authenticated: RouteList::new()
            .routes(routes!(create, list))
            .routes(routes!(revoke))
            .routes(routes!(verify))
            .routes(routes!(oauth_apps::create, oauth_apps::list))
            .routes(routes!(oauth_apps::get, oauth_apps::revoke))
            .routes(routes!(oauth_apps::authorize)),
    }
}

/// The application Lambda serves.
pub fn app(state: AppState) -> axum::Router {
    routes().into_app(state)
}

/// Serves one API Gateway request (the local stack and tests call the function this way).
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    faultline::http::call(app(state.clone()), req).await
}

/// A new API key.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// What the key is for (1–200 characters).
    name: String,
    /// Scopes to grant, at most the calling key's (default: all of them).
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// Days until the key stops working: 1 to 3650 (default 365).
    #[serde(default)]
    expires_days: Option<u32>,
    /// Networks the key may be used from, as CIDR (`203.0.113.0/24`, `2001:db8::/32`) or single
    /// addresses; at most 20. A request from elsewhere is refused with 403. Default: anywhere.
    #[serde(default)]
    allowed_cidrs: Vec<String>,
}

/// The allow list, each entry a network in canonical form (a bare address is a /32 or /128).
fn checked_cidrs(cidrs: &[String]) -> Result<Vec<String>, ApiError> {
    if cidrs.len() > 20 {
        return Err(ApiError::validation("allowed_cidrs", "at most 20 networks"));
    }
    cidrs
        .iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc().to_string())
                .map_err(|_| {
                    ApiError::validation(
                        "allowed_cidrs",
                        format!("`{text}` is not a network (CIDR) or an address"),
                    )
                })
        })
        .collect()
}

/// Create an API key.
///
/// A new key with at most the caller's scopes; the key (`sk_…`) is in this response only, and
/// only its digest is stored. Scope: `keys:manage`.
#[utoipa::path(
    post,
    path = "/v1/auth/api-keys",
    tag = "api keys",
    operation_id = "create_api_key",
    request_body = CreateKey,
    responses((status = 201, description = "The key record and, once, the key", body = ApiKeyView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<KeysManage>,
    Json(body): Json<CreateKey>,
) -> Result<Audited, ApiError> {
    let name = checked_name("name", &body.name)?;
    let held = principal.scopes();
    let scopes = match body.scopes {
        None => held.to_vec(),
        Some(names) => names
            .iter()
            .map(|name| {
                let scope = Scope::parse(name).ok_or_else(|| {
                    ApiError::validation("scopes", format!("unknown scope `{name}`"))
                })?;
                if held.contains(&scope) {
                    Ok(scope)
                } else {
                    Err(ApiError::validation(
                        "scopes",
                        format!("cannot grant `{name}`: the calling key does not hold it"),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let lifetime = match body.expires_days {
        None => DEFAULT_KEY_LIFETIME_DAYS,
        Some(days @ 1..=3650) => days,
        Some(_) => {
            return Err(ApiError::validation(
                "expires_days",
                "`expires_days` must be 1 to 3650",
            ))
        }
    };
    let allowed_cidrs = checked_cidrs(&body.allowed_cidrs)?;
    let (key, record) = issue_api_key_for(
        &state,
        &tenant,
        &name,
        scopes,
        lifetime,
        principal.subject(),
        allowed_cidrs,
    )
    .await?;
    let shown = ApiKeyView {
        key: Some(key.expose().to_owned()),
        ..ApiKeyView::from(&record)
    };
    Ok(Audited::created("api-keys", &record.id, &shown))
}

/// List API keys.
///
/// The tenant's keys, never their secrets or digests. Scope: `keys:manage`.
#[utoipa::path(
    get,
    path = "/v1/auth/api-keys",
    tag = "api keys",
    operation_id = "list_api_keys",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of key records", body = ApiKeyPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<KeysManage>,
    Page(page): Page,
) -> Result<Json<ApiKeyPage>, ApiError> {
    let page = state.store.list_api_keys(&tenant, &page).await?;
    Ok(Json(page.map(|k| ApiKeyView::from(&k)).into()))
}

/// Revoke an API key.
///
/// Revokes at once: the key fails from the next request on. Scope: `keys:manage`.
#[utoipa::path(
    delete,
    path = "/v1/auth/api-keys/{id}",
    tag = "api keys",
    operation_id = "revoke_api_key",
    params(("id" = String, Path, description = "The key id (the part after `sk_`)")),
    responses((status = 204, description = "Revoked")),
)]
pub async fn revoke(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<KeysManage>,
    Path(id): Path<ApiKeyId>,
) -> Result<Audited, ApiError> {
    let not_found = || ApiError::not_found("API key", id.as_str());
    let before = state
        .store
        .get_api_key(&id)
        .await?
        .filter(|record| record.tenant_id == tenant)
        .ok_or_else(not_found)?;
    if !state
        .store
        .revoke_api_key(&tenant, &id, state.clock.now())
        .await?
    {
        return Err(not_found());
    }
    let after = state.store.get_api_key(&id).await?.ok_or_else(not_found)?;
    Ok(Audited::action(
        http::StatusCode::NO_CONTENT,
        &Value::Null,
        "api-keys",
        &id,
        &ApiKeyView::from(&before),
        &ApiKeyView::from(&after),
    ))
}

/// Who am I.
///
/// The calling credential: its kind, tenant, key id, scopes and expiry. Any valid key.
#[utoipa::path(
    get,
    path = "/v1/auth/verify",
    tag = "api keys",
    operation_id = "verify_credential",
    responses((status = 200, description = "The caller", body = CallerView)),
)]
pub async fn verify(principal: Principal) -> Json<CallerView> {
    Json(CallerView::from(&principal))
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().openapi()
}
