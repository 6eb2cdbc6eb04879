//! `POST /v1/incidents/{id}/tickets`: open a ticket or page for an incident now, or link one that
//! already exists, at a PagerDuty, Jira or GitHub destination.

use axum::extract::State;
use faultline::domain::{DestinationId, IncidentId};
use faultline::http::scopes::IncidentsWrite;
use faultline::http::{ApiError, Audited, Authorized, Json, Path};
use faultline::services::notify::{link_ticket, open_ticket_now, ticket_named, ManualTicket};
use faultline::views::{TicketRequestView, TicketView};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;

/// A ticket to open now, or to link when `key` names one that exists.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRequest {
    /// A `pagerduty`, `jira` or `github` destination (`dst_…`).
    destination_id: String,
    /// An existing ticket to link instead of opening one: `OPS-123` (Jira), `42` or
    /// `owner/name#42` (GitHub), a `dedup_key` (PagerDuty).
    #[serde(default)]
    key: Option<String>,
}

/// Open or link a ticket.
///
/// Without `key`: opens a Jira or GitHub issue (or triggers a PagerDuty alert) for the incident
/// now, through the same path notifications take (one per incident and destination, recovered
/// rather than duplicated). With `key`: links that existing ticket, so later news updates it and
/// a resolve closes it. `201` with the ticket; `202` when the provider could not take it yet
/// (`notify` keeps trying); `409` when the incident already has a ticket there; `502` when the
/// provider refused it. Scope: `incidents:write`.
#[utoipa::path(
    post,
    path = "/v1/incidents/{id}/tickets",
    tag = "incidents",
    operation_id = "create_incident_ticket",
    params(("id" = String, Path, description = "The incident (`inc_…`)")),
    request_body = TicketRequest,
    responses(
        (status = 201, description = "The ticket, opened or linked", body = TicketRequestView),
        (status = 202, description = "Queued: the provider could not take it yet", body = TicketRequestView),
        (status = 409, description = "The incident already has a ticket there", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider refused it", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IncidentsWrite>,
    Path(id): Path<IncidentId>,
    Json(body): Json<TicketRequest>,
) -> Result<Audited, ApiError> {
    let incident = state
        .store
        .get_incident(&tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("incident", id.as_str()))?;
    let destination_id = DestinationId::parse(&body.destination_id).ok_or_else(|| {
        ApiError::validation(
            "destination_id",
            format!("`{}` is not a destination id", body.destination_id),
        )
    })?;
    let destination = state
        .store
        .get_destination(&tenant, &destination_id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination", destination_id.as_str()))?;
    if !destination.target.keeps_tickets() {
        return Err(ApiError::validation(
            "destination_id",
            "the destination does not keep tickets (pagerduty, jira or github do)",
        ));
    }
    let outcome = match &body.key {
        Some(key) => {
            let ticket = ticket_named(&destination, key)
                .map_err(|reason| ApiError::validation("key", reason))?;
            link_ticket(&state, &incident, &destination, ticket).await
        }
        None => open_ticket_now(&state, &incident, &destination).await,
    }
    .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let kind = destination.target.kind().as_str();
    let (status, view) = match outcome {
        ManualTicket::Opened(entry) => (
            StatusCode::CREATED,
            TicketRequestView::done("opened", TicketView::of(&entry, kind)),
        ),
        ManualTicket::Linked(entry) => (
            StatusCode::CREATED,
            TicketRequestView::done("linked", TicketView::of(&entry, kind)),
        ),
        ManualTicket::Queued(detail) => (StatusCode::ACCEPTED, TicketRequestView::queued(detail)),
        ManualTicket::AlreadyLinked(ticket) => {
            return Err(ApiError::Conflict(format!(
                "the incident already has {} at this destination",
                ticket.key
            )))
        }
        ManualTicket::Refused(reason) => {
            return Err(ApiError::validation("destination_id", reason))
        }
        ManualTicket::Failed(reason) => return Err(ApiError::ProviderRefused(reason)),
    };
    Ok(Audited::action(
        status,
        &view,
        "incidents",
        &incident.id,
        &serde_json::Value::Null,
        &view,
    ))
}
