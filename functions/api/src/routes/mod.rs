pub mod audit;
pub mod deadlocks;
pub mod destination_targets;
pub mod destination_tickets;
pub mod destinations;
pub mod docs;
pub mod endpoint_actions;
pub mod endpoints;
pub mod evidence;
pub mod export_schedules;
pub mod exports;
pub mod incident_tickets;
pub mod incidents;
pub mod integration_deliveries;
pub mod integrations;
pub mod log_sources;
pub mod maintenance_windows;
pub mod messages;
pub mod notification_rules;
pub mod notifications;
pub mod preferences;
pub mod projects;
pub mod reports;
pub mod roles;
pub mod sentry;
pub mod sentry_sync;
pub mod tenants;
pub mod users;

use faultline::domain::event_catalog::describe;
use faultline::domain::EventType;
use faultline::http::Json;
use faultline::views::{EventTypeList, EventTypeView, HealthView};

/// Liveness.
///
/// Answers without touching AWS, so it stays cheap and says only that the function runs.
#[utoipa::path(
    get,
    path = "/health",
    tag = "meta",
    operation_id = "health",
    responses((status = 200, description = "`{\"status\": \"ok\"}`", body = HealthView)),
)]
pub async fn health() -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// List event types.
///
/// Every event type Faultline sends, with a JSON Schema (2020-12) of its `data`. Any valid key.
#[utoipa::path(
    get,
    path = "/v1/event-types",
    tag = "meta",
    operation_id = "list_event_types",
    responses((status = 200, description = "The event catalogue", body = EventTypeList)),
)]
pub async fn event_types() -> Json<EventTypeList> {
    let items = EventType::ALL
        .iter()
        .map(|t| {
            let (description, schema) = describe(*t);
            EventTypeView {
                event_type: t.as_str().to_owned(),
                description: description.to_owned(),
                schema,
            }
        })
        .collect();
    Json(EventTypeList {
        items,
        next_cursor: None,
    })
}
