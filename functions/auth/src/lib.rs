//! The `auth` function: API key management under `/v1/auth`. The key check itself lives in the
//! shared crate, so every function authenticates the same way.

mod token;

use faultline::auth::{Principal, Scope, Subject};
use faultline::domain::ApiKeyId;
use faultline::http::{
    checked_name, decode_body, json_response, no_content, page_request, page_response, path_id,
    require_scope, route_key, serve, ApiError,
};
use faultline::services::api_keys::{issue_api_key_for, DEFAULT_KEY_LIFETIME_DAYS};
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

/// Handles one API Gateway request; every failure becomes a problem+json response, every
/// mutating call and refused credential an audit entry.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    if route_key(&req) == "POST /v1/auth/token" {
        // The client authenticates in the request itself: no key in front of this route.
        return token::handle(state, &req).await;
    }
    serve(state, req, |state, principal, route, req| {
        Box::pin(dispatch(state, principal, route, req))
    })
    .await
}

async fn dispatch(
    state: &AppState,
    principal: &Principal,
    route: &str,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    match route {
        "POST /v1/auth/api-keys" => create(state, principal, req).await,
        "GET /v1/auth/api-keys" => list(state, principal, req).await,
        "DELETE /v1/auth/api-keys/{id}" => revoke(state, principal, req).await,
        "GET /v1/auth/verify" => Ok(verify(principal)),
        other => Err(ApiError::NotFound(format!(
            "no route `{other}` in this function"
        ))),
    }
}

/// A new API key.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    /// What the key is for (1–200 characters).
    name: String,
    /// Scopes to grant, at most the calling key's (default: all of them).
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// Days until the key stops working: 1 to 3650 (default 365).
    #[serde(default)]
    expires_days: Option<u32>,
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
    responses((status = 201, description = "The key record and, once, the key", body = Object)),
)]
async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::KeysManage)?;
    let body: CreateKey = decode_body(req)?;
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
    let (key, record) = issue_api_key_for(state, tenant, &name, scopes, lifetime).await?;
    let mut shown = record.to_json();
    shown["key"] = json!(key.expose());
    Ok(json_response(StatusCode::CREATED, &shown))
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
    responses((status = 200, description = "A page of key records", body = faultline::http::openapi::ItemList)),
)]
async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::KeysManage)?;
    let page = state
        .store
        .list_api_keys(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|k| k.to_json())))
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
async fn revoke(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::KeysManage)?;
    let id = path_id(req, "id", "API key", ApiKeyId::parse)?;
    if state
        .store
        .revoke_api_key(tenant, &id, state.clock.now())
        .await?
    {
        Ok(no_content())
    } else {
        Err(ApiError::not_found("API key", id.as_str()))
    }
}

/// Who am I.
///
/// The calling credential: its kind, tenant, key id, scopes and expiry. Any valid key.
#[utoipa::path(
    get,
    path = "/v1/auth/verify",
    tag = "api keys",
    operation_id = "verify_credential",
    responses((status = 200, description = "The caller", body = Object)),
)]
fn verify(principal: &Principal) -> Response<Body> {
    let body = match principal {
        Principal::PlatformAdmin => {
            json!({"kind": "platform_admin", "tenant_id": null, "scopes": [], "expires_at": null})
        }
        Principal::Tenant {
            tenant_id,
            subject,
            scopes,
            expires_at,
        } => json!({
            "kind": match subject { Subject::Key(_) => "api_key", Subject::User(_) => "user" },
            "tenant_id": tenant_id,
            "subject": subject.to_string(),
            "scopes": scopes,
            "expires_at": expires_at,
        }),
    };
    json_response(StatusCode::OK, &body)
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(create, list, revoke, verify, token::handle))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
