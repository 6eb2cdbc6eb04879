//! The layers every API router wears: problem rendering (outermost) and, around authenticated
//! routes, authentication plus the audit entry of every mutating call and refused credential.
//!
//! Handlers say what they changed by answering [`Audited`]; the layer appends the entry with the
//! field diff (secrets redacted). Nothing re-reads the resource and nothing parses route strings.

use super::extract::RequestMeta;
use super::ApiError;
use crate::auth::{presented_key, ApiKey};
use crate::domain::audit::{diff, AuditDraft};
use crate::domain::Principal;
use crate::store::{AuditChain, ParkedAudit};
use crate::AppState;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;

/// What a mutating call changed, carried from the handler to the audit layer in the response's
/// extensions.
#[derive(Clone, Debug)]
pub struct AuditedMutation {
    /// The kind of resource, e.g. `endpoints`.
    pub resource_type: &'static str,
    /// Its id.
    pub resource_id: String,
    /// Its public form before the call (`null` for a creation).
    pub before: Value,
    /// Its public form after the call (`null` for a deletion).
    pub after: Value,
}

/// A mutating handler's answer: the body it shows and the change it made.
#[derive(Debug)]
pub struct Audited {
    status: StatusCode,
    body: Option<Value>,
    change: AuditedMutation,
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Audited {
    /// A creation: `201` with `body`, nothing before and `shown` after.
    pub fn created(
        resource_type: &'static str,
        resource_id: impl ToString,
        body: &impl Serialize,
    ) -> Self {
        let after = to_value(body);
        Self {
            status: StatusCode::CREATED,
            body: Some(after.clone()),
            change: AuditedMutation {
                resource_type,
                resource_id: resource_id.to_string(),
                before: Value::Null,
                after,
            },
        }
    }

    /// A change: `200` with `after` as the body.
    pub fn updated(
        resource_type: &'static str,
        resource_id: impl ToString,
        before: &impl Serialize,
        after: &impl Serialize,
    ) -> Self {
        let after = to_value(after);
        Self {
            status: StatusCode::OK,
            body: Some(after.clone()),
            change: AuditedMutation {
                resource_type,
                resource_id: resource_id.to_string(),
                before: to_value(before),
                after,
            },
        }
    }

    /// A deletion: `204`, `before` recorded.
    pub fn deleted(
        resource_type: &'static str,
        resource_id: impl ToString,
        before: &impl Serialize,
    ) -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            change: AuditedMutation {
                resource_type,
                resource_id: resource_id.to_string(),
                before: to_value(before),
                after: Value::Null,
            },
        }
    }

    /// An action on a resource whose answer is not the resource itself (a rotation, a retry):
    /// `status` with `body`, and the resource `before` and `after`.
    pub fn action(
        status: StatusCode,
        body: &impl Serialize,
        resource_type: &'static str,
        resource_id: impl ToString,
        before: &impl Serialize,
        after: &impl Serialize,
    ) -> Self {
        Self {
            status,
            body: Some(to_value(body)),
            change: AuditedMutation {
                resource_type,
                resource_id: resource_id.to_string(),
                before: to_value(before),
                after: to_value(after),
            },
        }
    }
}

impl IntoResponse for Audited {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) if self.status != StatusCode::NO_CONTENT => {
                (self.status, axum_json(&body)).into_response()
            }
            _ => self.status.into_response(),
        };
        response.extensions_mut().insert(self.change);
        response
    }
}

/// A JSON body with its content type.
pub fn axum_json(value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            [(http::header::CONTENT_TYPE, "application/json")],
            axum::body::Body::from(bytes),
        )
            .into_response(),
        Err(err) => ApiError::internal(format!("serialising an answer: {err}")).into_response(),
    }
}

impl IntoResponse for ApiError {
    /// The problem is rendered by [`render_problems`], which knows the request id; until then it
    /// rides in the response's extensions (so the audit layer can read its detail).
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Outermost layer: turns an [`ApiError`] answer into its problem+json document with the
/// request id, logging hidden causes once.
pub async fn render_problems(req: Request, next: Next) -> Response {
    let meta = RequestMeta::of(req.extensions());
    let mut response = next.run(req).await;
    match response.extensions_mut().remove::<ApiError>() {
        Some(err) => err.to_problem_response(&meta.request_id),
        None => response,
    }
}

/// The kind of resource a route is about: the segment before its first `{param}`, else its first
/// segment after `/v1` (and `/auth`). Used for refusals, where no handler ran.
pub fn resource_type(path: &str) -> String {
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

/// Around authenticated routes: authenticates (a refused credential is answered and audited),
/// hands the [`Principal`] to the handler, and audits every mutating call and every 401/403.
pub async fn authenticate_and_audit(
    State(state): State<AppState>,
    matched: MatchedPath,
    params: RawPathParams,
    mut req: Request,
    next: Next,
) -> Response {
    let meta = RequestMeta::of(req.extensions());
    let path = matched.as_str().to_owned();
    let action = format!("{} {path}", req.method());
    let source = meta.source_ip.parse().ok();
    let principal = match state
        .authenticator
        .authenticate(req.headers(), source)
        .await
    {
        Ok(principal) => principal,
        Err(err) => {
            let err = ApiError::from(err);
            if matches!(
                err.status(),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ) {
                audit_refusal(&state, req.headers(), &action, &meta, &err).await;
            }
            return err.into_response();
        }
    };
    let mutating = req.method() != http::Method::GET;
    // The changed resource's id, else the innermost id the route names.
    let path_id = params.iter().last().map(|(_, v)| v.to_owned());
    let chain = match &principal {
        Principal::Tenant { tenant_id, .. } => AuditChain::Tenant(tenant_id.clone()),
        Principal::PlatformAdmin => AuditChain::Platform,
    };
    // Write-ahead: a mutating request's entry is parked before its change is made, so whatever
    // happens next (the append fails, the function stops) the relay still appends it. If even
    // that cannot be written, nothing is changed.
    let intent = if mutating {
        let intent = AuditDraft {
            at: state.clock.now(),
            actor: actor(&principal),
            action: action.clone(),
            resource_type: resource_type(&path),
            resource_id: path_id.clone(),
            status: 0,
            diff: Value::Object(Default::default()),
            request_id: meta.request_id.clone(),
            source_ip: meta.source_ip.clone(),
            detail: Some(
                "the request was received; its outcome was not recorded (the function stopped \
                 before it answered)"
                    .into(),
            ),
        };
        match state.store.park_audit(&chain, &intent).await {
            Ok(parked) => Some(parked),
            Err(err) => {
                tracing::error!(request_id = %meta.request_id, error = %err, "audit intent not written; the request is refused");
                return ApiError::Unavailable(
                    "the audit log cannot be written right now, so nothing was changed; retry \
                     shortly"
                        .into(),
                )
                .into_response();
            }
        }
    } else {
        None
    };
    req.extensions_mut().insert(principal.clone());
    let response = next.run(req).await;
    let status = response.status();
    if !(mutating || status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN) {
        return response;
    }
    let change = response.extensions().get::<AuditedMutation>().cloned();
    let detail = response
        .extensions()
        .get::<ApiError>()
        .map(ToString::to_string);
    let draft = AuditDraft {
        at: state.clock.now(),
        actor: actor(&principal),
        action,
        resource_type: change
            .as_ref()
            .map_or_else(|| resource_type(&path), |c| c.resource_type.to_owned()),
        resource_id: change.as_ref().map(|c| c.resource_id.clone()).or(path_id),
        status: status.as_u16(),
        diff: match (&change, status.is_success()) {
            (Some(change), true) => diff(&change.before, &change.after),
            _ => Value::Object(Default::default()),
        },
        request_id: meta.request_id.clone(),
        source_ip: meta.source_ip.clone(),
        detail,
    };
    match &intent {
        Some(parked) => settle(&state, &chain, &draft, parked).await,
        None => append(&state, &chain, &draft).await,
    }
    response
}

/// Appends a mutating request's entry and removes its intent in one transaction; when that fails,
/// the intent is replaced by the full entry for the relay (retried with back-off). Should even
/// that fail, the intent stays, and the relay appends it: the request, if not its outcome.
async fn settle(state: &AppState, chain: &AuditChain, draft: &AuditDraft, parked: &ParkedAudit) {
    let Err(err) = state
        .store
        .append_audit_settling(chain, draft, Some(parked))
        .await
    else {
        return;
    };
    tracing::warn!(request_id = %draft.request_id, action = %draft.action, error = %err, "audit append failed; parking the entry for the relay");
    let mut last = err;
    for pause_ms in [0u64, 50, 250, 1000] {
        tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
        match state.store.repark_audit(parked, chain, draft).await {
            Ok(()) => return,
            Err(err) => last = err,
        }
    }
    tracing::error!(
        request_id = %draft.request_id,
        error = %last,
        entry = %serde_json::to_string(draft).unwrap_or_default(),
        "audit entry not parked; its intent will be appended instead"
    );
}

/// A refused credential: on the chain of the tenant the presented key names (a wrong secret, a
/// revoked or expired key), else on the platform's.
async fn audit_refusal(
    state: &AppState,
    headers: &http::HeaderMap,
    action: &str,
    meta: &RequestMeta,
    err: &ApiError,
) {
    let key_id = presented_key(headers)
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
    let path = action.split_once(' ').map_or(action, |(_, p)| p);
    let refusal = Refusal {
        actor: key_id.map_or("anonymous".into(), |id| format!("key:{id}")),
        resource_type: resource_type(path),
        chain: tenant.map_or(AuditChain::Platform, AuditChain::Tenant),
    };
    record_refusal(state, action, meta, err, refusal).await;
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

/// Records an `auth.failed` entry for a refused credential on `action` (also used by the token
/// endpoint, which authenticates its client itself). Refusals are counted, not appended: the
/// outbox relay folds each minute's count per address and credential into one entry, so a flood
/// of refused requests neither floods the chain nor contends with real entries for its head.
pub async fn record_refusal(
    state: &AppState,
    action: &str,
    meta: &RequestMeta,
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
        request_id: meta.request_id.clone(),
        source_ip: meta.source_ip.clone(),
        detail: Some(format!("{action}: {err}")),
    };
    if let Err(err) = state.store.count_refusal(&refusal.chain, &draft).await {
        tracing::warn!(request_id = %draft.request_id, error = %err, "refusal not counted; appending it");
        append(state, &refusal.chain, &draft).await;
    }
}

/// Appends the entry; when that fails (the change it records has been made), parks it for the
/// outbox relay to append, retrying the park with back-off. Only if the table refuses even that
/// is the whole entry written to the log, as the last place it can go.
async fn append(state: &AppState, chain: &AuditChain, draft: &AuditDraft) {
    let Err(err) = state.store.append_audit(chain, draft).await else {
        return;
    };
    tracing::warn!(request_id = %draft.request_id, action = %draft.action, error = %err, "audit append failed; parking the entry for the relay");
    let mut last = err;
    for pause_ms in [0u64, 50, 250, 1000] {
        tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
        match state.store.park_audit(chain, draft).await {
            Ok(_) => return,
            Err(err) => last = err,
        }
    }
    tracing::error!(
        request_id = %draft.request_id,
        error = %last,
        entry = %serde_json::to_string(draft).unwrap_or_default(),
        "audit entry neither appended nor parked"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_come_from_the_path() {
        assert_eq!(resource_type("/v1/endpoints/{id}"), "endpoints");
        assert_eq!(
            resource_type("/v1/endpoints/{id}/rotate-secret"),
            "endpoints"
        );
        assert_eq!(resource_type("/v1/auth/api-keys"), "api-keys");
        assert_eq!(resource_type("/v1/auth/api-keys/{id}"), "api-keys");
        assert_eq!(resource_type("/v1/dead-letters/redrive"), "dead-letters");
        assert_eq!(resource_type("/v1/tenants"), "tenants");
    }
}
