//! Deadlock analysis: recurring deadlocks grouped by what they share, each with its wait-for
//! graph, its reports over time and the incidents they belong to.

use axum::extract::State;
use chrono::{DateTime, Utc};
use faultline::deadlocks::Engine;
use faultline::http::scopes::IncidentsRead;
use faultline::http::{ApiError, Authorized, Json, Path, Query};
use faultline::views::{DeadlockDetailView, DeadlockList, DeadlockView};
use faultline::AppState;
use serde::Deserialize;

/// The filters of `GET /v1/deadlocks`.
#[derive(Debug, Deserialize)]
pub struct DeadlockQuery {
    engine: Option<Engine>,
    since: Option<DateTime<Utc>>,
}

/// List deadlocks.
///
/// Groups of recurring deadlocks found in Sentry error events, scanned log records and generic
/// alerts (PostgreSQL `deadlock detected` reports; MySQL and MariaDB `LATEST DETECTED DEADLOCK`
/// sections), most recent first, at most 1,000. Reports that did not parse are kept in an
/// `unparsed` group per engine. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/deadlocks",
    tag = "deadlocks",
    operation_id = "list_deadlocks",
    params(
        ("engine" = Option<String>, Query, description = "`postgres` or `mysql`"),
        ("since" = Option<String>, Query, description = "Only groups seen at or after this RFC 3339 time"),
    ),
    responses((status = 200, description = "Deadlock groups", body = DeadlockList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Query(query): Query<DeadlockQuery>,
) -> Result<Json<DeadlockList>, ApiError> {
    let mut groups = state.store.deadlock_groups(&tenant).await?;
    groups.retain(|g| {
        query.engine.is_none_or(|e| g.engine == Some(e))
            && query.since.is_none_or(|since| g.last_seen_at >= since)
    });
    groups.sort_by_key(|g| std::cmp::Reverse(g.last_seen_at));
    Ok(Json(DeadlockList {
        items: groups.iter().map(DeadlockView::from).collect(),
    }))
}

/// Get a deadlock group.
///
/// The group, its last report read into a wait-for graph (processes or transactions, the
/// statements, the locks held and waited for, the cycle and the victim), reports per day over
/// the last 90 days, the incidents they belong to, and the last 50 reports. Scope:
/// `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/deadlocks/{id}",
    tag = "deadlocks",
    operation_id = "get_deadlock",
    params(("id" = String, Path, description = "The group (`dl_…`)")),
    responses((status = 200, description = "The deadlock group", body = DeadlockDetailView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(id): Path<String>,
) -> Result<Json<DeadlockDetailView>, ApiError> {
    let group = if id.starts_with("dl_") {
        state.store.deadlock_group(&tenant, &id).await?
    } else {
        None
    }
    .ok_or_else(|| ApiError::not_found("deadlock", &id))?;
    let occurrences = state
        .store
        .deadlock_occurrences(&tenant, &group.id, 1_000)
        .await?;
    Ok(Json(DeadlockDetailView::of(&group, &occurrences)))
}
