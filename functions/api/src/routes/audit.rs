use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::domain::audit::{verify_chain, ChainReport};
use faultline::domain::{Principal, Scope};
use faultline::http::{require_scope, ApiError, Json, Page, Query};
use faultline::store::{AuditChain, AuditFilters};
use faultline::views::AuditPage;
use faultline::AppState;
use serde::Deserialize;

/// The filters of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    resource_id: Option<String>,
    since: Option<DateTime<Utc>>,
}

/// The caller's chain: its tenant's (with `audit:read`), or the platform's for the platform admin.
fn chain(principal: &Principal) -> Result<AuditChain, ApiError> {
    match principal {
        Principal::PlatformAdmin => Ok(AuditChain::Platform),
        tenant => Ok(AuditChain::Tenant(
            require_scope(tenant, Scope::AuditRead)?.clone(),
        )),
    }
}

/// The audit log.
///
/// Every mutating call (actor, action, resource, changed fields with secrets redacted, request
/// id, source IP, status) and every refused credential, newest first. The platform admin reads
/// the platform's chain. Scope: `audit:read`.
#[utoipa::path(
    get,
    path = "/v1/audit",
    tag = "audit",
    operation_id = "list_audit",
    params(
        ("action" = Option<String>, Query, description = "Only this action: a route such as `PATCH /v1/endpoints/{id}`, or `auth.failed`"),
        ("actor" = Option<String>, Query, description = "Only this actor, e.g. `key:abc123`"),
        ("resource_id" = Option<String>, Query, description = "Only entries about this resource"),
        ("since" = Option<String>, Query, description = "Only entries at or after this RFC 3339 time"),
        faultline::http::openapi::PageQuery,
    ),
    responses((status = 200, description = "A page of audit entries", body = AuditPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AuditQuery>,
    Page(page): Page,
) -> Result<Json<AuditPage>, ApiError> {
    let chain = chain(&principal)?;
    let filters = AuditFilters {
        action: query.action,
        actor: query.actor,
        resource_id: query.resource_id,
        since: query.since,
    };
    let page = state.store.list_audit(&chain, &filters, &page).await?;
    Ok(Json(page.into()))
}

/// Verify the audit chain.
///
/// Re-reads the whole chain and checks every entry's hash and its link to the one before, and
/// that the chain ends at its recorded head: an edited, removed or reordered entry is reported
/// with its position. Scope: `audit:read`.
#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    operation_id = "verify_audit",
    responses((status = 200, description = "Whether the chain holds, and where it breaks", body = ChainReport)),
)]
pub async fn verify(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ChainReport>, ApiError> {
    let chain = chain(&principal)?;
    let (entries, head) = state.store.audit_chain(&chain).await?;
    let report = verify_chain(
        &entries,
        head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
    );
    Ok(Json(report))
}
