//! Evidence: the sample log lines the log scan kept on an issue.

use super::incidents::find;
use axum::extract::State;
use faultline::domain::{IncidentId, SignalKind};
use faultline::http::scopes::IncidentsRead;
use faultline::http::{ApiError, Authorized, Json, Page, Path};
use faultline::views::EvidencePage;
use faultline::AppState;

/// An issue's evidence.
///
/// Sample log lines (whole records: a stack trace, a PostgreSQL error with its `DETAIL` and
/// `STATEMENT`) the log scan kept on the issue, up to 3 per scan that saw it, newest first, each
/// kept 30 days. Scope: `incidents:read`.
#[utoipa::path(
    get,
    path = "/v1/issues/{id}/evidence",
    tag = "incidents",
    operation_id = "list_issue_evidence",
    params(("id" = String, Path, description = "The issue (`inc_…`)"), faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of evidence", body = EvidencePage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsRead>,
    Path(id): Path<IncidentId>,
    Page(page): Page,
) -> Result<Json<EvidencePage>, ApiError> {
    let issue = find(&state, &tenant, &id, Some(SignalKind::Issue)).await?;
    let page = state.store.list_evidence(&tenant, &issue.id, &page).await?;
    Ok(Json(page.into()))
}
