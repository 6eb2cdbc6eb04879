//! The Sentry sync of one configuration, on demand, and where it stands.

use super::sentry::config;
use axum::extract::State;
use faultline::domain::{ProjectId, SentryConfigId};
use faultline::http::scopes::{SentryConfigRead, SentryConfigWrite};
use faultline::http::{ApiError, Authorized, Json, Path};
use faultline::services::sentry_sync::{sync_config, SyncReport};
use faultline::views::SentrySyncView;
use faultline::AppState;
use std::time::Duration;
use tokio::time::Instant;

/// How long an on-demand sync may run: well inside API Gateway's 30 s; the scheduled run
/// resumes what is left from the same checkpoint.
const ON_DEMAND_BUDGET: Duration = Duration::from_secs(20);

/// Sync a configuration now.
///
/// Runs the same pass the `sentry-sync` schedule runs (issues changed since the watermark, then
/// the reconciliation of open issues when due), for up to 20 seconds, and answers what it did.
/// A pass cut short resumes at the next run. Needs the configuration's auth token; a configuration
/// Sentry asked to wait answers what it said (`stopped`). Scope: `sentry-config:write`.
#[utoipa::path(
    post,
    path = "/v1/projects/{id}/sentry/{integration_id}/sync",
    tag = "sentry",
    operation_id = "sync_sentry_config",
    params(
        ("id" = String, Path, description = "The project (`prj_…`)"),
        ("integration_id" = String, Path, description = "The configuration (`scfg_…`)"),
    ),
    responses(
        (status = 200, description = "What the run did", body = SyncReport),
        (status = 422, description = "The configuration has no auth token or is inactive", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn run(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigWrite>,
    Path((project_id, id)): Path<(ProjectId, SentryConfigId)>,
) -> Result<Json<SyncReport>, ApiError> {
    let config = config(&state, &tenant, &project_id, &id).await?;
    if config.auth_token.is_none() {
        return Err(ApiError::validation(
            "auth_token",
            "the configuration has no `auth_token`: the hub cannot call Sentry's API",
        ));
    }
    if !config.active {
        return Err(ApiError::validation(
            "active",
            "the configuration is inactive; activate it to sync",
        ));
    }
    let report = sync_config(&state, &config, Instant::now() + ON_DEMAND_BUDGET).await?;
    Ok(Json(report))
}

/// Where a configuration's sync stands.
///
/// Its watermark, whether a pass is in progress, the last reconciliation, a pause Sentry asked
/// for, and the job's last success and last error. Scope: `sentry-config:read`.
#[utoipa::path(
    get,
    path = "/v1/projects/{id}/sentry/{integration_id}/sync",
    tag = "sentry",
    operation_id = "get_sentry_sync",
    params(
        ("id" = String, Path, description = "The project (`prj_…`)"),
        ("integration_id" = String, Path, description = "The configuration (`scfg_…`)"),
    ),
    responses((status = 200, description = "The sync's state", body = SentrySyncView)),
)]
pub async fn status(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigRead>,
    Path((project_id, id)): Path<(ProjectId, SentryConfigId)>,
) -> Result<Json<SentrySyncView>, ApiError> {
    let config = config(&state, &tenant, &project_id, &id).await?;
    let sync = state.store.sentry_sync_state(&config).await?;
    Ok(Json(SentrySyncView::of(config.id.as_str(), &sync)))
}
