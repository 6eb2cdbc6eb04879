//! Inbound integrations: one webhook URL per integration, created per source with the provider's
//! setup steps; its secret is entered once and never shown again; received, accepted and refused
//! counts of the last day.

use super::{html, non_empty, parse_query, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use faultline::domain::DeliveryId;
use faultline::domain::{IntegrationId, Scope};
use faultline::http::{Authorized, Json, Path, Query};
use faultline::views::{InboundDeliveryView, IntegrationStatsView, IntegrationView};
use faultline::AppState;
use faultline_api::routes::{integration_deliveries, integrations};
use serde::Deserialize;
use serde_json::json;

/// The sources, with what their setup takes.
const SOURCES: &[(&str, &str)] = &[
    (
        "generic",
        "Any JSON alert sender (Grafana, Alertmanager, your own scripts)",
    ),
    (
        "github",
        "GitHub: deployments, workflow runs and code scanning",
    ),
    ("pagerduty", "PagerDuty: incident webhooks (V3)"),
    ("sentry", "Sentry: issue alerts and internal integrations"),
    ("slack", "Slack: slash commands and interactivity"),
];

/// The integrations page.
#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    items: Vec<IntegrationView>,
    sources: &'static [(&'static str, &'static str)],
    base_url: String,
    can_write: bool,
}

/// `GET /console/integrations`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    headers: http::HeaderMap,
) -> PageResult {
    let Json(found) = integrations::list(
        State(state),
        Authorized::check(&session.principal)?,
        super::first_page(100),
    )
    .await?;
    Ok(html(&IntegrationsPage {
        can_write: session.can(Scope::IntegrationsWrite),
        chrome: Chrome::of(&session, "/console/integrations"),
        items: found.items,
        sources: SOURCES,
        base_url: super::projects::base_url(&headers),
    }))
}

/// One integration: its URL, the provider's steps and its last day.
#[derive(Template)]
#[template(path = "integration.html")]
struct IntegrationPage {
    chrome: Chrome,
    integration: IntegrationView,
    stats: IntegrationStatsView,
    deliveries: Vec<InboundDeliveryView>,
    hook_url: String,
    /// Shown once, right after the creation (the generated secret, when the hub made one).
    secret: Option<String>,
    can_write: bool,
}

/// `GET /console/integrations/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<IntegrationId>,
    headers: http::HeaderMap,
) -> PageResult {
    render(&state, &session, &id, &headers, None).await
}

/// The integration's page (with its generated secret, once, right after the creation).
async fn render(
    state: &AppState,
    session: &Session,
    id: &IntegrationId,
    headers: &http::HeaderMap,
    secret: Option<String>,
) -> PageResult {
    let (integration, stats, deliveries) = load(state, session, id).await?;
    Ok(html(&IntegrationPage {
        chrome: Chrome::of(session, "/console/integrations"),
        hook_url: format!(
            "{}{}",
            super::projects::base_url(headers),
            integration.webhook_path
        ),
        can_write: session.can(Scope::IntegrationsWrite),
        integration,
        stats,
        deliveries,
        secret,
    }))
}

async fn load(
    state: &AppState,
    session: &Session,
    id: &IntegrationId,
) -> Result<
    (
        IntegrationView,
        IntegrationStatsView,
        Vec<InboundDeliveryView>,
    ),
    crate::error::ConsoleError,
> {
    let Json(stats) = integrations::stats(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
        Query(parse_query("")?),
    )
    .await?;
    // The stats answered, so the integration is the caller's: read that one (the API has no
    // route for a single integration, and a list would stop at its first page).
    let integration = state
        .store
        .get_integration(id)
        .await
        .map_err(faultline::http::ApiError::from)?
        .map(|i| IntegrationView::from(&i))
        .ok_or_else(|| faultline::http::ApiError::not_found("integration", id.as_str()))?;
    let Json(deliveries) = integration_deliveries::list(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
        super::first_page(20),
    )
    .await?;
    Ok((integration, stats, deliveries.items))
}

/// The new-integration form.
#[derive(Debug, Deserialize)]
pub struct NewIntegration {
    source: String,
    name: String,
    secret: Option<String>,
    unsigned: Option<String>,
}

/// `POST /console/integrations`, through `POST /v1/integrations`: the new integration's page,
/// with its URL and setup steps.
pub async fn create(
    State(state): State<AppState>,
    headers: http::HeaderMap,
    SignedForm { session, form }: SignedForm<NewIntegration>,
) -> PageResult {
    let mut body = json!({"source": form.source, "name": form.name});
    if let Some(secret) = non_empty(form.secret) {
        body["secret"] = json!(secret);
    }
    if form.unsigned.is_some() {
        body["unsigned"] = json!(true);
    }
    let created = api::call(
        &session,
        http::Method::POST,
        "/v1/integrations",
        Some(&body),
    )
    .await?;
    let id = IntegrationId::parse(created["id"].as_str().unwrap_or_default())
        .ok_or_else(|| faultline::http::ApiError::internal("the API answered no integration id"))?;
    let secret = created["secret"].as_str().map(str::to_owned);
    render(&state, &session, &id, &headers, secret).await
}

/// `POST /console/integrations/{id}/deliveries/{delivery}/replay`: the delivery processed again
/// from its exact bytes, through `POST /v1/hooks/deliveries/{id}/replay`.
pub async fn replay(
    Path((id, delivery)): Path<(IntegrationId, DeliveryId)>,
    SignedForm { session, .. }: SignedForm<super::Fields>,
) -> PageResult {
    let path = format!("/v1/hooks/deliveries/{delivery}/replay");
    api::call(&session, http::Method::POST, &path, None).await?;
    Ok(Redirect::to(&format!("/console/integrations/{id}")).into_response())
}
