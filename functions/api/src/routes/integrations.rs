use faultline::auth::{Principal, Scope};
use faultline::domain::{Integration, IntegrationId, Source};
use faultline::http::{
    decode_body, json_response, page_request, page_response, require_scope, ApiError,
};
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateIntegration {
    source: String,
    name: String,
    #[serde(default)]
    secret: Option<String>,
}

/// `POST /v1/integrations`.
pub async fn create(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IntegrationsWrite)?;
    let body: CreateIntegration = decode_body(req)?;
    let source = match body.source.as_str() {
        "generic" => Source::Generic,
        other => {
            return Err(ApiError::validation(
                "source",
                format!("source `{other}` is not supported; supported: generic"),
            ))
        }
    };
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation(
            "name",
            "`name` must be 1 to 200 characters",
        ));
    }
    if let Some(secret) = &body.secret {
        if secret.len() < 16 || secret.len() > 1024 {
            return Err(ApiError::validation(
                "secret",
                "`secret` must be 16 to 1024 characters",
            ));
        }
    }
    let mut integration = Integration {
        id: IntegrationId::generate(),
        tenant_id: tenant.clone(),
        source,
        name: name.to_owned(),
        secret: None,
        created_at: state.clock.now(),
    };
    if let Some(secret) = &body.secret {
        let cipher = state
            .cipher()
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        integration.secret = Some(cipher.seal(secret, &integration.secret_context()));
    }
    state.store.create_integration(&integration).await?;
    Ok(json_response(StatusCode::CREATED, &integration.to_json()))
}

/// `GET /v1/integrations`.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    let tenant = require_scope(principal, Scope::IntegrationsRead)?;
    let page = state
        .store
        .list_integrations(tenant, &page_request(req)?)
        .await?;
    Ok(page_response(page.map(|i| i.to_json())))
}
