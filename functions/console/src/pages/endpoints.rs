//! Endpoints: the list with dead letters and redrive, creation with an event-type picker from
//! the catalogue (the secret shown once), and one endpoint's health, chart, secret, test ping,
//! recovery and message log with attempts and retry.

use super::chart::BarChart;
use super::{html, parse_query, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use faultline::domain::{EndpointId, MessageId, Scope};
use faultline::http::{Authorized, Json, Path, Query};
use faultline::views::{AttemptView, EndpointStatsView, EndpointView, EventTypeView, MessageView};
use faultline::AppState;
use faultline_api::routes::{self as api_routes, endpoint_actions, endpoints, messages};
use serde_json::json;

/// The endpoints page.
#[derive(Template)]
#[template(path = "endpoints.html")]
struct EndpointsPage {
    chrome: Chrome,
    items: Vec<EndpointView>,
    event_types: Vec<EventTypeView>,
    dead_letters: usize,
    can_write: bool,
}

/// `GET /console/endpoints`.
pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    let Json(found) = endpoints::list(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        super::first_page(100),
    )
    .await?;
    let Json(dead) =
        messages::dead_letters(State(state), Authorized::check(&session.principal)?).await?;
    let Json(catalogue) = api_routes::event_types().await;
    Ok(html(&EndpointsPage {
        can_write: session.can(Scope::EndpointsWrite),
        chrome: Chrome::of(&session, "/console/endpoints"),
        items: found.items,
        event_types: catalogue.items,
        dead_letters: dead.items.len(),
    }))
}

/// Shown once, after a creation or a rotation: the endpoint's signing secret.
#[derive(Template)]
#[template(path = "secret_once.html")]
struct SecretOncePage {
    chrome: Chrome,
    endpoint_id: String,
    heading: &'static str,
    secret: String,
}

/// `POST /console/endpoints`, through `POST /v1/endpoints`: every `event_types` box ticked.
pub async fn create(SignedForm { session, form }: SignedForm<super::Fields>) -> PageResult {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    };
    let event_types: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "event_types")
        .map(|(_, v)| v.as_str())
        .collect();
    let body = json!({
        "url": field("url"),
        "description": field("description"),
        "event_types": event_types,
    });
    let created = api::call(&session, http::Method::POST, "/v1/endpoints", Some(&body)).await?;
    Ok(html(&SecretOncePage {
        chrome: Chrome::of(&session, "/console/endpoints"),
        endpoint_id: created["id"].as_str().unwrap_or_default().to_owned(),
        heading: "Endpoint created",
        secret: created["secret"].as_str().unwrap_or_default().to_owned(),
    }))
}

/// One endpoint.
#[derive(Template)]
#[template(path = "endpoint.html")]
struct EndpointPage {
    chrome: Chrome,
    endpoint: EndpointView,
    stats: EndpointStatsView,
    chart: BarChart,
    messages: Vec<MessageView>,
    can_write: bool,
}

impl EndpointPage {
    fn success_rate(&self) -> String {
        self.stats.success_rate.map_or_else(
            || "no attempts".to_owned(),
            |r| format!("{:.1} %", r * 100.0),
        )
    }
}

/// The chart of an endpoint's last day: attempts by answer (2xx green, the rest red).
fn status_chart(stats: &EndpointStatsView) -> BarChart {
    let bars: Vec<(String, f64, &'static str)> = stats
        .by_status_code
        .iter()
        .map(|(code, count)| {
            let class = if code.starts_with('2') {
                "bar-ok"
            } else {
                "bar-failed"
            };
            (code.clone(), *count as f64, class)
        })
        .collect();
    BarChart::new(
        format!(
            "Attempts by answer over the last {} hours",
            stats.window_hours
        ),
        &bars,
    )
}

/// `GET /console/endpoints/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<EndpointId>,
) -> PageResult {
    let Json(endpoint) = endpoints::get(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
    )
    .await?;
    let Json(stats) = endpoint_actions::stats(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
        Query(parse_query("")?),
    )
    .await?;
    let query = serde_urlencoded::to_string([("endpoint_id", id.as_str())]).unwrap_or_default();
    let Json(log) = messages::list(
        State(state),
        Authorized::check(&session.principal)?,
        Query(parse_query(&query)?),
        super::first_page(25),
    )
    .await?;
    Ok(html(&EndpointPage {
        can_write: session.can(Scope::EndpointsWrite),
        chrome: Chrome::of(&session, "/console/endpoints"),
        chart: status_chart(&stats),
        endpoint,
        stats,
        messages: log.items,
    }))
}

/// One message's attempts (a fragment htmx loads into the log, or a page of its own).
#[derive(Template)]
#[template(path = "attempts.html")]
struct AttemptsFragment {
    chrome: Chrome,
    endpoint_id: String,
    message_id: String,
    attempts: Vec<AttemptView>,
    can_write: bool,
}

/// The attempts as a page of their own (no JavaScript).
#[derive(Template)]
#[template(path = "attempts_page.html")]
struct AttemptsPage {
    chrome: Chrome,
    endpoint_id: String,
    message_id: String,
    fragment: String,
}

/// `GET /console/endpoints/{id}/messages/{message}`: the message's attempts at this endpoint.
pub async fn attempts(
    State(state): State<AppState>,
    session: Session,
    Path((id, message_id)): Path<(EndpointId, MessageId)>,
    headers: http::HeaderMap,
) -> PageResult {
    let Json(found) = messages::attempts(
        State(state),
        Authorized::check(&session.principal)?,
        Path(message_id.clone()),
        super::first_page(100),
    )
    .await?;
    let fragment = AttemptsFragment {
        can_write: session.can(Scope::EndpointsWrite),
        chrome: Chrome::of(&session, "/console/endpoints"),
        endpoint_id: id.to_string(),
        message_id: message_id.to_string(),
        attempts: found
            .items
            .into_iter()
            .filter(|a| a.endpoint_id == id.as_str())
            .collect(),
    };
    if headers.contains_key("hx-request") {
        return Ok(html(&fragment));
    }
    Ok(html(&AttemptsPage {
        fragment: fragment.render()?,
        chrome: fragment.chrome,
        endpoint_id: fragment.endpoint_id,
        message_id: fragment.message_id,
    }))
}

/// `POST /console/endpoints/{id}/{action}`: `test` (a ping), `recover` (resend what failed),
/// `rotate-secret` (the new secret shown once), `secret` (shown once more).
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(EndpointId, String)>,
    SignedForm { session, form }: SignedForm<super::Fields>,
) -> PageResult {
    if action == "recover" {
        return recover(&state, &session, &id, &form).await;
    }
    let (method, heading) = match action.as_str() {
        "test" => (http::Method::POST, ""),
        "rotate-secret" => (http::Method::POST, "Secret rotated"),
        "secret" => (http::Method::GET, "Endpoint secret"),
        _ => return Err(crate::error::ConsoleError::NotFound),
    };
    let path = format!("/v1/endpoints/{id}/{action}");
    let body = (method == http::Method::POST).then(|| json!({}));
    let answer = api::call(&session, method, &path, body.as_ref()).await?;
    if heading.is_empty() {
        return Ok(Redirect::to(&format!("/console/endpoints/{id}")).into_response());
    }
    Ok(html(&SecretOncePage {
        chrome: Chrome::of(&session, "/console/endpoints"),
        endpoint_id: id.to_string(),
        heading,
        secret: answer["secret"].as_str().unwrap_or_default().to_owned(),
    }))
}

/// Resends what failed to the endpoint in the last `hours` (1 to 336; default 24), through
/// `POST /v1/endpoints/{id}/recover`.
async fn recover(
    state: &AppState,
    session: &Session,
    id: &EndpointId,
    form: &super::Fields,
) -> PageResult {
    let hours = form
        .iter()
        .find(|(name, _)| name == "hours")
        .map_or(Ok(24), |(_, value)| value.parse::<i64>())
        .ok()
        .filter(|h| (1..=336).contains(h))
        .ok_or_else(|| {
            faultline::http::ApiError::validation("hours", "`hours` must be 1 to 336")
        })?;
    let since = state.clock.now() - chrono::Duration::hours(hours);
    let body = json!({"since": since.to_rfc3339()});
    let path = format!("/v1/endpoints/{id}/recover");
    api::call(session, http::Method::POST, &path, Some(&body)).await?;
    Ok(Redirect::to(&format!("/console/endpoints/{id}")).into_response())
}

/// `POST /console/endpoints/{id}/messages/{message}/retry`, through `POST /v1/messages/{id}/retry`.
pub async fn retry(
    Path((id, message_id)): Path<(EndpointId, MessageId)>,
    SignedForm { session, .. }: SignedForm<super::Fields>,
) -> PageResult {
    let path = format!("/v1/messages/{message_id}/retry");
    let body = json!({"endpoint_id": id.as_str()});
    api::call(&session, http::Method::POST, &path, Some(&body)).await?;
    Ok(Redirect::to(&format!("/console/endpoints/{id}")).into_response())
}

/// `POST /console/dead-letters/redrive`, through `POST /v1/dead-letters/redrive`.
pub async fn redrive(SignedForm { session, .. }: SignedForm<super::Fields>) -> PageResult {
    api::call(
        &session,
        http::Method::POST,
        "/v1/dead-letters/redrive",
        Some(&json!({})),
    )
    .await?;
    Ok(Redirect::to("/console/endpoints").into_response())
}
