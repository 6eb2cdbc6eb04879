//! Projects and their Sentry configuration per environment: DSNs masked until shown (a toggle and
//! a copy button), sample rates, and the application's configuration endpoint as a `curl`.

use super::{html, non_empty, parse_query, Chrome, PageResult, SignedForm};
use crate::api;
use crate::session::Session;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use faultline::domain::{ProjectId, Scope, SentryConfigId};
use faultline::http::{Authorized, Json, Path, Query};
use faultline::views::{ProjectView, SentryConfigView};
use faultline::AppState;
use faultline_api::routes::{projects, sentry};
use serde::Deserialize;
use serde_json::{json, Value};

/// The projects page.
#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    chrome: Chrome,
    items: Vec<ProjectView>,
    can_write: bool,
}

/// `GET /console/projects`.
pub async fn list(State(state): State<AppState>, session: Session) -> PageResult {
    let Json(found) = projects::list(
        State(state),
        Authorized::check(&session.principal)?,
        super::first_page(100),
    )
    .await?;
    Ok(html(&ProjectsPage {
        can_write: session.can(Scope::ProjectsWrite),
        chrome: Chrome::of(&session, "/console/projects"),
        items: found.items,
    }))
}

/// The new-project form.
#[derive(Debug, Deserialize)]
pub struct NewProject {
    name: String,
    #[serde(default)]
    description: String,
    environment: Option<String>,
}

/// `POST /console/projects`, through `POST /v1/projects`.
pub async fn create(SignedForm { session, form }: SignedForm<NewProject>) -> PageResult {
    let mut body = json!({"name": form.name, "description": form.description});
    if let Some(environment) = non_empty(form.environment) {
        body["environment"] = json!(environment);
    }
    let created = api::call(&session, http::Method::POST, "/v1/projects", Some(&body)).await?;
    let id = created["id"].as_str().unwrap_or_default();
    Ok(Redirect::to(&format!("/console/projects/{id}")).into_response())
}

/// One project.
#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    chrome: Chrome,
    project: ProjectView,
    configs: Vec<SentryConfigView>,
    /// The configuration whose DSN is shown (no JavaScript: `?reveal=`).
    revealed: String,
    can_reveal: bool,
    can_write: bool,
    /// Where the application fetches its configuration, as a `curl`.
    curl_base: String,
}

#[derive(Debug, Default, Deserialize)]
struct Reveal {
    reveal: Option<String>,
}

fn reveal_query(reveal: bool) -> Result<sentry::RevealQuery, crate::error::ConsoleError> {
    parse_query(if reveal { "reveal=true" } else { "" })
}

/// `GET /console/projects/{id}` (`?reveal=scfg_…` shows that DSN without JavaScript).
pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<ProjectId>,
    RawQuery(raw): RawQuery,
    headers: http::HeaderMap,
) -> PageResult {
    let asked: Reveal = parse_query(&raw.unwrap_or_default())?;
    let can_reveal = session.can(Scope::SentryConfigRead);
    let revealed = asked.reveal.filter(|_| can_reveal).unwrap_or_default();
    let Json(project) = projects::get(
        State(state.clone()),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
    )
    .await?;
    let Json(configs) = sentry::list(
        State(state),
        Authorized::check(&session.principal)?,
        Path(id),
        Query(reveal_query(!revealed.is_empty())?),
    )
    .await?;
    let configs = configs
        .items
        .into_iter()
        .map(|mut config| {
            if config.id != revealed {
                config.dsn = mask(&config.dsn);
            }
            config
        })
        .collect();
    Ok(html(&ProjectPage {
        curl_base: format!(
            "{}/v1/integrations/sentry/{}",
            base_url(&headers),
            project.slug
        ),
        can_write: session.can(Scope::SentryConfigWrite),
        chrome: Chrome::of(&session, "/console/projects"),
        project,
        configs,
        revealed,
        can_reveal,
    }))
}

/// The API's masked form is kept when it is already masked; a revealed DSN is masked here.
fn mask(dsn: &str) -> String {
    if dsn.contains("****") {
        return dsn.to_owned();
    }
    faultline::domain::sentry_config::mask_dsn(dsn)
}

/// The hub's address as the browser reached it (API Gateway sets `X-Forwarded-Proto`).
pub fn base_url(headers: &http::HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header("host").unwrap_or("localhost");
    let scheme = header("x-forwarded-proto").unwrap_or(
        if host.starts_with("127.0.0.1") || host.starts_with("localhost") {
            "http"
        } else {
            "https"
        },
    );
    format!("{scheme}://{host}")
}

/// A DSN with its show/hide toggle (what htmx swaps in).
#[derive(Template)]
#[template(path = "dsn.html")]
struct DsnFragment {
    project_id: String,
    config_id: String,
    dsn: String,
    shown: bool,
    can_reveal: bool,
}

#[derive(Debug, Deserialize)]
struct Show {
    show: Option<String>,
}

/// `GET /console/projects/{id}/sentry/{config}/dsn?show=true|false`: the DSN whole or masked.
/// Needs `sentry-config:read`, as the API's reveal does.
pub async fn dsn(
    State(state): State<AppState>,
    session: Session,
    Path((id, config_id)): Path<(ProjectId, SentryConfigId)>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let asked: Show = parse_query(&raw.unwrap_or_default())?;
    let shown = asked.show.as_deref() != Some("false");
    let Json(configs) = sentry::list(
        State(state),
        Authorized::check(&session.principal)?,
        Path(id.clone()),
        Query(reveal_query(shown)?),
    )
    .await?;
    let config = configs
        .items
        .into_iter()
        .find(|c| c.id == config_id.as_str())
        .ok_or_else(|| {
            faultline::http::ApiError::not_found("Sentry configuration", config_id.as_str())
        })?;
    Ok(html(&DsnFragment {
        project_id: id.to_string(),
        config_id: config.id,
        dsn: if shown { config.dsn } else { mask(&config.dsn) },
        shown,
        can_reveal: true,
    }))
}

/// The new Sentry configuration form.
#[derive(Debug, Deserialize)]
pub struct NewSentryConfig {
    environment: Option<String>,
    dsn: String,
    org: String,
    project: String,
    auth_token: Option<String>,
    traces_sample_rate: Option<String>,
    replays_session_sample_rate: Option<String>,
    replays_on_error_sample_rate: Option<String>,
}

/// A rate field: empty is the default, anything else must be a number (the API checks the range).
fn rate(field: &str, text: Option<String>) -> Result<Option<Value>, crate::error::ConsoleError> {
    let Some(text) = non_empty(text) else {
        return Ok(None);
    };
    text.parse::<f64>().map(|v| Some(json!(v))).map_err(|_| {
        faultline::http::ApiError::validation(
            field,
            format!("`{field}` must be a number from 0 to 1"),
        )
        .into()
    })
}

/// `POST /console/projects/{id}/sentry`, through `POST /v1/projects/{id}/sentry`.
pub async fn create_sentry(
    Path(id): Path<ProjectId>,
    SignedForm { session, form }: SignedForm<NewSentryConfig>,
) -> PageResult {
    let mut body =
        json!({"dsn": form.dsn.trim(), "org": form.org.trim(), "project": form.project.trim()});
    if let Some(environment) = non_empty(form.environment) {
        body["environment"] = json!(environment);
    }
    if let Some(token) = non_empty(form.auth_token) {
        body["auth_token"] = json!(token);
    }
    for (field, value) in [
        (
            "tracesSampleRate",
            rate("tracesSampleRate", form.traces_sample_rate)?,
        ),
        (
            "replaysSessionSampleRate",
            rate("replaysSessionSampleRate", form.replays_session_sample_rate)?,
        ),
        (
            "replaysOnErrorSampleRate",
            rate(
                "replaysOnErrorSampleRate",
                form.replays_on_error_sample_rate,
            )?,
        ),
    ] {
        if let Some(value) = value {
            body[field] = value;
        }
    }
    let path = format!("/v1/projects/{id}/sentry");
    api::call(&session, http::Method::POST, &path, Some(&body)).await?;
    Ok(Redirect::to(&format!("/console/projects/{id}")).into_response())
}
