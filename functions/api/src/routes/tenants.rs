use faultline::auth::{Principal, Scope};
use faultline::domain::{Tenant, TenantId};
use faultline::http::{decode_body, json_response, require_platform_admin, ApiError};
use faultline::services::api_keys::issue_api_key;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTenant {
    name: String,
}

/// `POST /v1/tenants` (platform admin): the tenant and its first admin key, shown once.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    require_platform_admin(principal)?;
    let body: CreateTenant = decode_body(req)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation(
            "name",
            "`name` must be 1 to 200 characters",
        ));
    }
    let tenant = Tenant {
        id: TenantId::generate(),
        name: name.to_owned(),
        created_at: state.clock.now(),
    };
    state.store.create_tenant(&tenant).await?;
    let (key, record) = issue_api_key(state, &tenant.id, "admin", Scope::ALL.to_vec()).await?;
    let mut api_key = record.to_json();
    api_key["key"] = json!(key.expose());
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "tenant": {"id": tenant.id, "name": tenant.name, "created_at": tenant.created_at},
            "api_key": api_key,
        }),
    ))
}
