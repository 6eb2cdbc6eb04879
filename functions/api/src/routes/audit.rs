use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::domain::audit::{ChainReport, ChainVerifier};
use faultline::domain::{Principal, Scope};
use faultline::http::{require_scope, ApiError, Json, Page, Query};
use faultline::store::{AuditChain, AuditFilters, PageRequest};
use faultline::views::AuditPage;
use faultline::AppState;
use serde::Deserialize;
use std::time::{Duration, Instant};

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

/// The options of `GET /v1/audit/verify`.
#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    /// Re-verify from the first entry instead of from the last checkpoint.
    #[serde(default)]
    full: bool,
}

/// How long one verification request reads before answering with its progress.
const VERIFY_BUDGET: Duration = Duration::from_secs(10);

/// Verify the audit chain.
///
/// Checks every entry's hash and its link to the one before, and that the chain ends at its
/// recorded head: an edited, removed or reordered entry is reported with its position. Reads
/// page by page in constant memory, from the last checkpoint (the newest entry an earlier
/// verification found good) unless `full=true`, for at most 10 seconds: a longer chain answers
/// `complete: false` with `verified_through`, and the next request goes on from there. Scope:
/// `audit:read`.
#[utoipa::path(
    get,
    path = "/v1/audit/verify",
    tag = "audit",
    operation_id = "verify_audit",
    params(
        ("full" = Option<bool>, Query, description = "`true`: re-verify from the first entry, not from the last checkpoint"),
    ),
    responses((status = 200, description = "Whether the chain holds, where it breaks, and how far this verification got", body = ChainReport)),
)]
pub async fn verify(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<VerifyQuery>,
) -> Result<Json<ChainReport>, ApiError> {
    let chain = chain(&principal)?;
    let head = state.store.audit_head_position(&chain).await?;
    let checkpoint = match query.full {
        true => None,
        false => state.store.audit_checkpoint(&chain).await?,
    };
    let mut verifier = match checkpoint {
        Some((seq, hash)) => ChainVerifier::from_checkpoint(seq, hash),
        None => ChainVerifier::from_genesis(),
    };
    // Entries appended after the head was read are the next verification's.
    let last = head.as_ref().map_or(u64::MAX, |(seq, _)| *seq);
    let started = Instant::now();
    let after = verifier.position().0;
    let mut page = PageRequest {
        limit: Some(PageRequest::MAX_LIMIT),
        cursor: None,
    };
    let mut finished = true;
    loop {
        let result = state
            .store
            .audit_entries_after(&chain, after, &page)
            .await?;
        for entry in result.items.iter().take_while(|e| e.seq <= last) {
            verifier.feed(entry);
        }
        let reached_head = result.items.last().is_some_and(|e| e.seq >= last);
        match result.next_cursor {
            _ if verifier.is_broken() || reached_head => break,
            Some(cursor) if started.elapsed() < VERIFY_BUDGET => page.cursor = Some(cursor),
            Some(_) => {
                finished = false;
                break;
            }
            None => break,
        }
    }
    let (seq, hash) = verifier.position();
    let (seq, hash) = (seq, hash.to_owned());
    let report = match finished {
        true => verifier.finish(head.as_ref().map(|(seq, hash)| (*seq, hash.as_str()))),
        false => verifier.unfinished(),
    };
    if seq > 0 && report.broken_at.is_none_or(|broken| broken > seq) {
        state
            .store
            .save_audit_checkpoint(&chain, seq, &hash)
            .await?;
    }
    Ok(Json(report))
}
