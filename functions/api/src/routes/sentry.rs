//! Sentry configuration per project and environment, and the endpoint applications fetch it from.

use super::projects::find as find_project;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use faultline::domain::sentry_config::{check_dsn, SampleRates};
use faultline::domain::Scope;
use faultline::domain::{ProjectId, SentryConfig, SentryConfigId, TenantId};
use faultline::http::scopes::{ProjectsRead, SentryConfigRead, SentryConfigWrite};
use faultline::http::{
    checked_environment, nullable, require_scope, ApiError, Audited, Authorized, Json, Path, Query,
};
use faultline::store::StoreError;
use faultline::views::{ApplicationSentryConfigView, SentryConfigPage, SentryConfigView};
use faultline::AppState;
use http::StatusCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A project's Sentry configuration for one environment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSentryConfig {
    /// The client key DSN: `https://<public key>@<host>/<project id>`.
    dsn: String,
    /// The Sentry organisation slug.
    org: String,
    /// The Sentry project slug.
    project: String,
    /// A Sentry API auth token (stored encrypted, never returned); with it, the hub syncs the
    /// project's issues (`sentry-sync`).
    #[serde(default)]
    auth_token: Option<String>,
    /// Sentry's API base URL, when the DSN does not imply it (default: `https://sentry.io`, the
    /// region's for `*.ingest.<region>.sentry.io`, else the DSN's origin for self-hosted).
    #[serde(default)]
    api_url: Option<String>,
    /// `development`, `staging`, `production` or custom (default: the project's environment).
    #[serde(default)]
    environment: Option<String>,
    /// 0 to 1 (default 0.1).
    #[serde(default, rename = "tracesSampleRate")]
    traces_sample_rate: Option<f64>,
    /// 0 to 1 (default 0.1).
    #[serde(default, rename = "replaysSessionSampleRate")]
    replays_session_sample_rate: Option<f64>,
    /// 0 to 1 (default 1).
    #[serde(default, rename = "replaysOnErrorSampleRate")]
    replays_on_error_sample_rate: Option<f64>,
    /// Whether applications are served it (default true).
    #[serde(default)]
    active: Option<bool>,
}

/// Changes to a configuration; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSentryConfig {
    dsn: Option<String>,
    org: Option<String>,
    project: Option<String>,
    /// A new token; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    auth_token: Option<Option<String>>,
    /// A new API base URL; `null` goes back to the one the DSN implies.
    #[serde(default, deserialize_with = "nullable")]
    api_url: Option<Option<String>>,
    environment: Option<String>,
    #[serde(default, rename = "tracesSampleRate")]
    traces_sample_rate: Option<f64>,
    #[serde(default, rename = "replaysSessionSampleRate")]
    replays_session_sample_rate: Option<f64>,
    #[serde(default, rename = "replaysOnErrorSampleRate")]
    replays_on_error_sample_rate: Option<f64>,
    active: Option<bool>,
}

fn checked_rate(field: &str, rate: f64) -> Result<f64, ApiError> {
    if !(0.0..=1.0).contains(&rate) {
        return Err(ApiError::validation(
            field,
            format!("`{field}` must be between 0 and 1"),
        ));
    }
    Ok(rate)
}

fn checked_slug(field: &str, slug: &str) -> Result<String, ApiError> {
    let ok = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(ApiError::validation(
            field,
            format!("`{field}` must be a Sentry slug (lowercase letters, digits, `-`, `_`)"),
        ));
    }
    Ok(slug.to_owned())
}

fn checked_dsn(dsn: &str) -> Result<String, ApiError> {
    check_dsn(dsn.trim())
        .map_err(|reason| ApiError::validation("dsn", format!("`dsn` {reason}")))?;
    Ok(dsn.trim().to_owned())
}

fn checked_token(token: &str) -> Result<&str, ApiError> {
    if token.trim().is_empty() || token.len() > 512 {
        return Err(ApiError::validation(
            "auth_token",
            "`auth_token` must be 1 to 512 characters",
        ));
    }
    Ok(token.trim())
}

/// The project's Sentry configuration `id` (the project must be the tenant's), or 404.
pub(super) async fn config(
    state: &AppState,
    tenant: &TenantId,
    project_id: &ProjectId,
    id: &SentryConfigId,
) -> Result<SentryConfig, ApiError> {
    let project = find_project(state, tenant, project_id).await?;
    state
        .store
        .get_sentry_config(&project.tenant_id, &project.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Sentry configuration", id.as_str()))
}

/// List a project's Sentry configurations.
///
/// One per environment. DSNs are masked unless `reveal=true`, which needs
/// `sentry-config:read` as well. Scope: `projects:read`.
#[utoipa::path(
    get,
    path = "/v1/projects/{id}/sentry",
    tag = "sentry",
    operation_id = "list_sentry_configs",
    params(
        ("id" = String, Path, description = "The project (`prj_…`)"),
        ("reveal" = Option<bool>, Query, description = "Show whole DSNs (needs `sentry-config:read`)"),
    ),
    responses((status = 200, description = "The configurations", body = SentryConfigPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized {
        tenant, principal, ..
    }: Authorized<ProjectsRead>,
    Path(id): Path<ProjectId>,
    Query(query): Query<RevealQuery>,
) -> Result<Json<SentryConfigPage>, ApiError> {
    let project = find_project(&state, &tenant, &id).await?;
    let reveal = match query.reveal.as_deref() {
        None | Some("false") => false,
        Some("true") => {
            require_scope(&principal, Scope::SentryConfigRead)?;
            true
        }
        Some(_) => {
            return Err(ApiError::bad_parameter(
                "reveal",
                "`reveal` must be true or false",
            ))
        }
    };
    let configs = state
        .store
        .project_sentry_configs(&project.tenant_id, &project.id)
        .await?;
    Ok(Json(SentryConfigPage {
        items: configs
            .iter()
            .map(|c| SentryConfigView::of(c, reveal))
            .collect(),
        next_cursor: None,
    }))
}

/// `?reveal=`.
#[derive(Debug, Deserialize)]
pub struct RevealQuery {
    reveal: Option<String>,
}

/// Configure Sentry for a project environment.
///
/// Validates the DSN, seals the auth token with AES-256-GCM under the data key (never returned).
/// One configuration per project and environment. Scope: `sentry-config:write`.
#[utoipa::path(
    post,
    path = "/v1/projects/{id}/sentry",
    tag = "sentry",
    operation_id = "create_sentry_config",
    params(("id" = String, Path, description = "The project (`prj_…`)")),
    request_body = CreateSentryConfig,
    responses((status = 201, description = "The configuration (DSN masked)", body = SentryConfigView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigWrite>,
    Path(id): Path<ProjectId>,
    Json(body): Json<CreateSentryConfig>,
) -> Result<Audited, ApiError> {
    let project = find_project(&state, &tenant, &id).await?;
    let defaults = SampleRates::default();
    let now = state.clock.now();
    let mut config = SentryConfig {
        id: SentryConfigId::generate(),
        tenant_id: project.tenant_id.clone(),
        project_id: project.id.clone(),
        environment: checked_environment(
            "environment",
            body.environment.as_deref().unwrap_or(&project.environment),
        )?,
        dsn: checked_dsn(&body.dsn)?,
        org: checked_slug("org", &body.org)?,
        project: checked_slug("project", &body.project)?,
        auth_token: None,
        api_url: body
            .api_url
            .as_deref()
            .map(|url| super::destination_targets::checked_url(&state, "api_url", url))
            .transpose()?,
        rates: SampleRates {
            traces_sample_rate: checked_rate(
                "tracesSampleRate",
                body.traces_sample_rate
                    .unwrap_or(defaults.traces_sample_rate),
            )?,
            replays_session_sample_rate: checked_rate(
                "replaysSessionSampleRate",
                body.replays_session_sample_rate
                    .unwrap_or(defaults.replays_session_sample_rate),
            )?,
            replays_on_error_sample_rate: checked_rate(
                "replaysOnErrorSampleRate",
                body.replays_on_error_sample_rate
                    .unwrap_or(defaults.replays_on_error_sample_rate),
            )?,
        },
        active: body.active.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    if let Some(token) = &body.auth_token {
        let token = checked_token(token)?;
        config.auth_token = Some(state.cipher().await?.seal(token, &config.token_context()));
    }
    match state.store.create_sentry_config(&config).await {
        Ok(()) => Ok(Audited::created(
            "sentry-configs",
            &config.id,
            &SentryConfigView::of(&config, false),
        )),
        Err(StoreError::Conflict) => Err(ApiError::validation(
            "environment",
            format!(
                "the project already has a Sentry configuration for `{}`",
                config.environment
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Change a Sentry configuration.
///
/// Only the fields given change; `auth_token: null` removes the token. Scope:
/// `sentry-config:write`.
#[utoipa::path(
    patch,
    path = "/v1/projects/{id}/sentry/{integration_id}",
    tag = "sentry",
    operation_id = "update_sentry_config",
    params(
        ("id" = String, Path, description = "The project (`prj_…`)"),
        ("integration_id" = String, Path, description = "The configuration (`scfg_…`)"),
    ),
    request_body = UpdateSentryConfig,
    responses((status = 200, description = "The changed configuration (DSN masked)", body = SentryConfigView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigWrite>,
    Path((project_id, id)): Path<(ProjectId, SentryConfigId)>,
    Json(body): Json<UpdateSentryConfig>,
) -> Result<Audited, ApiError> {
    let mut config = config(&state, &tenant, &project_id, &id).await?;
    let before = SentryConfigView::of(&config, false);
    let old_environment = config.environment.clone();
    if let Some(dsn) = body.dsn {
        config.dsn = checked_dsn(&dsn)?;
    }
    if let Some(org) = body.org {
        config.org = checked_slug("org", &org)?;
    }
    if let Some(project) = body.project {
        config.project = checked_slug("project", &project)?;
    }
    if let Some(environment) = body.environment {
        config.environment = checked_environment("environment", &environment)?;
    }
    if let Some(rate) = body.traces_sample_rate {
        config.rates.traces_sample_rate = checked_rate("tracesSampleRate", rate)?;
    }
    if let Some(rate) = body.replays_session_sample_rate {
        config.rates.replays_session_sample_rate = checked_rate("replaysSessionSampleRate", rate)?;
    }
    if let Some(rate) = body.replays_on_error_sample_rate {
        config.rates.replays_on_error_sample_rate = checked_rate("replaysOnErrorSampleRate", rate)?;
    }
    if let Some(active) = body.active {
        config.active = active;
    }
    match body.auth_token {
        Some(Some(token)) => {
            let token = checked_token(&token)?;
            config.auth_token = Some(state.cipher().await?.seal(token, &config.token_context()));
        }
        Some(None) => config.auth_token = None,
        None => {}
    }
    if let Some(api_url) = body.api_url {
        config.api_url = api_url
            .map(|url| super::destination_targets::checked_url(&state, "api_url", &url))
            .transpose()?;
    }
    config.updated_at = state.clock.now();
    match state
        .store
        .update_sentry_config(&config, &old_environment)
        .await
    {
        Ok(()) => Ok(Audited::updated(
            "sentry-configs",
            &config.id,
            &before,
            &SentryConfigView::of(&config, false),
        )),
        Err(StoreError::Conflict) if config.environment != old_environment => {
            Err(ApiError::validation(
                "environment",
                format!(
                    "the project already has a Sentry configuration for `{}`",
                    config.environment
                ),
            ))
        }
        Err(StoreError::Conflict) => Err(ApiError::not_found(
            "Sentry configuration",
            config.id.as_str(),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Remove a Sentry configuration.
///
/// Scope: `sentry-config:write`.
#[utoipa::path(
    delete,
    path = "/v1/projects/{id}/sentry/{integration_id}",
    tag = "sentry",
    operation_id = "delete_sentry_config",
    params(
        ("id" = String, Path, description = "The project (`prj_…`)"),
        ("integration_id" = String, Path, description = "The configuration (`scfg_…`)"),
    ),
    responses((status = 204, description = "Removed")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigWrite>,
    Path((project_id, id)): Path<(ProjectId, SentryConfigId)>,
) -> Result<Audited, ApiError> {
    let config = config(&state, &tenant, &project_id, &id).await?;
    state.store.delete_sentry_config(&config).await?;
    Ok(Audited::deleted(
        "sentry-configs",
        &config.id,
        &SentryConfigView::of(&config, false),
    ))
}

/// Sentry configuration for an application.
///
/// What an application fetches at start-up: `{dsn, environment, org, project, config:
/// {tracesSampleRate, replaysSessionSampleRate, replaysOnErrorSampleRate}}` for the project with
/// this slug and the environment asked for (default: the project's). Cacheable: `ETag` and
/// `Cache-Control`; `If-None-Match` answers 304. 404 unless the project and its configuration are
/// active. Scope: `sentry-config:read`.
#[utoipa::path(
    get,
    path = "/v1/integrations/sentry/{project_slug}",
    tag = "sentry",
    operation_id = "get_application_sentry_config",
    params(
        ("project_slug" = String, Path, description = "The project's slug"),
        ("environment" = Option<String>, Query, description = "The environment (default: the project's)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The configuration", body = ApplicationSentryConfigView),
        (status = 304, description = "Unchanged since the ETag given"),
    ),
)]
pub async fn for_application(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<SentryConfigRead>,
    Path(slug): Path<String>,
    Query(query): Query<EnvironmentQuery>,
    headers: http::HeaderMap,
) -> Result<Response, ApiError> {
    let tenant = &tenant;
    let not_found = || {
        ApiError::NotFound(format!(
            "no active Sentry configuration for project `{slug}`"
        ))
    };
    let project = state
        .store
        .find_project_by_slug(tenant, &slug)
        .await?
        .filter(|p| p.active)
        .ok_or_else(not_found)?;
    let environment = query
        .environment
        .unwrap_or_else(|| project.environment.clone());
    let config = state
        .store
        .sentry_config_for(tenant, &project.id, &environment)
        .await?
        .filter(|c| c.active)
        .ok_or_else(not_found)?;
    let body = ApplicationSentryConfigView::from(&config);
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(
            serde_json::to_vec(&body).map_err(ApiError::internal)?
        ))[..32]
    );
    let cached = headers
        .get(http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        http::header::ETAG,
        http::HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}

/// `?environment=`.
#[derive(Debug, Deserialize)]
pub struct EnvironmentQuery {
    environment: Option<String>,
}
