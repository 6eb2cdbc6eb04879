//! Serving an authenticated API request: authenticate, run the route, and write the audit entry —
//! every mutating call (with the changed fields, secrets redacted) and every refused credential.

use super::{request_id, route_key, ApiError};
use crate::auth::{presented_key, ApiKey, Principal, Scope};
use crate::domain::audit::{diff, AuditDraft};
use crate::store::AuditChain;
use crate::AppState;
use futures::future::BoxFuture;
use http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;

/// A function's router: runs `route` for an authenticated principal.
pub type Router = for<'a> fn(
    &'a AppState,
    &'a Principal,
    &'a str,
    &'a Request,
) -> BoxFuture<'a, Result<Response<Body>, ApiError>>;

/// The caller's address, as API Gateway saw it.
pub fn source_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    }
    .unwrap_or_default()
}

/// The route that reads the resource a mutating route changes: `PATCH|DELETE X` → `GET X`,
/// `POST X/{id}/action` → `GET X/{id}`; `None` for creations and collection actions.
fn resource_route(route: &str) -> Option<String> {
    let (method, path) = route.split_once(' ')?;
    match method {
        "PATCH" | "DELETE" => Some(format!("GET {path}")),
        "POST" => {
            let (resource, action) = path.rsplit_once('/')?;
            (resource.ends_with('}') && !action.starts_with('{')).then(|| format!("GET {resource}"))
        }
        _ => None,
    }
}

/// The kind of resource a route is about: the segment before its first `{param}`, else its
/// first segment after `/v1` (and `/auth`).
fn resource_type(route: &str) -> String {
    let path = route.split_once(' ').map_or(route, |(_, p)| p);
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "v1" && *s != "auth")
        .collect();
    match segments.iter().position(|s| s.starts_with('{')) {
        Some(0) | None => segments.first().copied().unwrap_or("").to_owned(),
        Some(i) => segments[i - 1].to_owned(),
    }
}

fn actor(principal: &Principal) -> String {
    match principal {
        Principal::Tenant { subject, .. } => subject.to_string(),
        Principal::PlatformAdmin => "platform_admin".into(),
    }
}

fn json_body(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A read of the resource by the same tenant with every read scope (the caller may hold only
/// the write scope): its public JSON, or `null`.
async fn snapshot(
    state: &AppState,
    router: Router,
    principal: &Principal,
    route: &str,
    req: &Request,
) -> Value {
    let reader = match principal {
        Principal::Tenant {
            tenant_id,
            subject,
            expires_at,
            ..
        } => Principal::Tenant {
            tenant_id: tenant_id.clone(),
            subject: subject.clone(),
            scopes: Scope::ALL.to_vec(),
            expires_at: *expires_at,
        },
        Principal::PlatformAdmin => Principal::PlatformAdmin,
    };
    match router(state, &reader, route, req).await {
        Ok(response) if response.status().is_success() => json_body(&response),
        _ => Value::Null,
    }
}

/// Authenticates the request, runs `router` with the principal and the route key, and audits.
pub async fn serve(state: &AppState, req: Request, router: Router) -> Response<Body> {
    let request_id = request_id(&req);
    let route = route_key(&req);
    let principal = match state.authenticator.authenticate(req.headers()).await {
        Ok(principal) => principal,
        Err(err) => {
            let err = ApiError::from(err);
            if err.status() == StatusCode::UNAUTHORIZED {
                audit_refusal(state, &req, &route, &request_id, &err).await;
            }
            return err.to_response(&request_id);
        }
    };
    let mutating = !route.starts_with("GET ");
    let read_route = mutating.then(|| resource_route(&route)).flatten();
    let before = match &read_route {
        Some(read) => snapshot(state, router, &principal, read, &req).await,
        None => Value::Null,
    };
    let response = match router(state, &principal, &route, &req).await {
        Ok(response) => response,
        Err(err) => err.to_response(&request_id),
    };
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN || mutating {
        let (before, after) = if !status.is_success() || route.starts_with("DELETE ") {
            (before, Value::Null)
        } else if status == StatusCode::CREATED {
            // A creation, even under another resource: nothing before, the answer after.
            (Value::Null, json_body(&response))
        } else {
            let read_after = match &read_route {
                Some(read) => snapshot(state, router, &principal, read, &req).await,
                None => Value::Null,
            };
            match read_after {
                Value::Null => (before, json_body(&response)),
                read => (before, read),
            }
        };
        // The innermost id the route names (`/projects/{id}/sentry/{integration_id}` → the
        // configuration), else the created resource's.
        let resource_id = route
            .rsplit('/')
            .find_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .and_then(|name| req.path_parameters_ref()?.first(name).map(str::to_owned))
            .or_else(|| after["id"].as_str().map(str::to_owned));
        let detail = (!status.is_success())
            .then(|| json_body(&response)["detail"].as_str().map(str::to_owned))
            .flatten();
        let draft = AuditDraft {
            at: state.clock.now(),
            actor: actor(&principal),
            action: route.clone(),
            resource_type: resource_type(&route),
            resource_id,
            status: status.as_u16(),
            diff: if status.is_success() {
                diff(&before, &after)
            } else {
                Value::Object(Default::default())
            },
            request_id: request_id.clone(),
            source_ip: source_ip(&req),
            detail,
        };
        let chain = match &principal {
            Principal::Tenant { tenant_id, .. } => AuditChain::Tenant(tenant_id.clone()),
            Principal::PlatformAdmin => AuditChain::Platform,
        };
        append(state, &chain, &draft).await;
    }
    response
}

/// A refused credential: on the chain of the tenant the presented key names (a wrong secret, a
/// revoked or expired key), else on the platform's.
async fn audit_refusal(
    state: &AppState,
    req: &Request,
    route: &str,
    request_id: &str,
    err: &ApiError,
) {
    let key_id = presented_key(req.headers())
        .and_then(ApiKey::parse)
        .map(|k| k.id().clone());
    let tenant = match &key_id {
        Some(id) => state
            .store
            .get_api_key(id)
            .await
            .ok()
            .flatten()
            .map(|r| r.tenant_id),
        None => None,
    };
    let refusal = Refusal {
        actor: key_id.map_or("anonymous".into(), |id| format!("key:{id}")),
        resource_type: resource_type(route),
        chain: tenant.map_or(AuditChain::Platform, AuditChain::Tenant),
    };
    record_refusal(state, req, request_id, err, refusal).await;
}

/// Who was refused, about what, and on which chain it is recorded.
#[derive(Debug)]
pub struct Refusal {
    /// `key:<id>` or `anonymous`.
    pub actor: String,
    /// The kind of resource asked for.
    pub resource_type: String,
    /// The tenant's chain when the credential names one, else the platform's.
    pub chain: AuditChain,
}

/// Appends an `auth.failed` entry for a refused credential (also used by the token endpoint,
/// which authenticates outside [`serve`]).
pub async fn record_refusal(
    state: &AppState,
    req: &Request,
    request_id: &str,
    err: &ApiError,
    refusal: Refusal,
) {
    let draft = AuditDraft {
        at: state.clock.now(),
        actor: refusal.actor,
        action: "auth.failed".into(),
        resource_type: refusal.resource_type,
        resource_id: None,
        status: err.status().as_u16(),
        diff: Value::Object(Default::default()),
        request_id: request_id.to_owned(),
        source_ip: source_ip(req),
        detail: Some(format!("{}: {err}", route_key(req))),
    };
    append(state, &refusal.chain, &draft).await;
}

/// Appends, logging rather than failing the request: the change it records has been made.
async fn append(state: &AppState, chain: &AuditChain, draft: &AuditDraft) {
    if let Err(err) = state.store.append_audit(chain, draft).await {
        tracing::error!(request_id = %draft.request_id, action = %draft.action, error = %err, "audit entry not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutating_routes_map_to_the_route_that_reads_their_resource() {
        assert_eq!(
            resource_route("PATCH /v1/endpoints/{id}").as_deref(),
            Some("GET /v1/endpoints/{id}")
        );
        assert_eq!(
            resource_route("DELETE /v1/projects/{id}").as_deref(),
            Some("GET /v1/projects/{id}")
        );
        assert_eq!(
            resource_route("POST /v1/endpoints/{id}/rotate-secret").as_deref(),
            Some("GET /v1/endpoints/{id}")
        );
        assert_eq!(resource_route("POST /v1/endpoints"), None);
        assert_eq!(resource_route("POST /v1/dead-letters/redrive"), None);
    }

    #[test]
    fn resource_types_come_from_the_path() {
        assert_eq!(resource_type("PATCH /v1/endpoints/{id}"), "endpoints");
        assert_eq!(
            resource_type("POST /v1/endpoints/{id}/rotate-secret"),
            "endpoints"
        );
        assert_eq!(resource_type("POST /v1/auth/api-keys"), "api-keys");
        assert_eq!(resource_type("DELETE /v1/auth/api-keys/{id}"), "api-keys");
        assert_eq!(
            resource_type("POST /v1/dead-letters/redrive"),
            "dead-letters"
        );
        assert_eq!(resource_type("POST /v1/tenants"), "tenants");
    }
}
