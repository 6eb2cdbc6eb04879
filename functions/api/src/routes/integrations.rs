use axum::extract::State;
use axum::response::{IntoResponse, Response};
use faultline::domain::{DeliveryId, Integration, IntegrationId, ProjectId, Source};
use faultline::http::scopes::{IntegrationsRead, IntegrationsWrite};
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Page, Path, Query};
use faultline::services::inbound::replay;
use faultline::views::{IntegrationPage, IntegrationStatsView, IntegrationView, RefusedView};
use faultline::AppState;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegration {
    source: String,
    name: String,
    #[serde(default)]
    secret: Option<String>,
    /// `true` makes a generic integration without a secret, which accepts anyone's requests:
    /// an explicit choice, shown in listings.
    #[serde(default)]
    unsigned: bool,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    config: Map<String, Value>,
}

fn parse_source(name: &str) -> Result<Source, ApiError> {
    Source::parse(name).ok_or_else(|| {
        ApiError::validation(
            "source",
            format!("source `{name}` is not supported; supported: generic, github, pagerduty, sentry, slack"),
        )
    })
}

fn string_list(config: &Map<String, Value>, key: &str) -> Result<(), ApiError> {
    match config.get(key) {
        None => Ok(()),
        Some(Value::Array(items))
            if items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::validation(
            format!("config.{key}"),
            format!("`config.{key}` must be a list of non-empty strings"),
        )),
    }
}

/// Each source's options; anything else is refused so a typo is not silently ignored.
fn check_config(source: Source, config: &Map<String, Value>) -> Result<(), ApiError> {
    let allowed: &[&str] = match source {
        Source::Slack => &["channels", "patterns"],
        Source::Sentry => &["allow_unsigned_legacy"],
        Source::Generic
        | Source::Github
        | Source::Jira
        | Source::Pagerduty
        | Source::Cloudwatch => &[],
    };
    if let Some(unknown) = config.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::validation(
            format!("config.{unknown}"),
            format!(
                "`{unknown}` is not an option of {} integrations",
                source.as_str()
            ),
        ));
    }
    string_list(config, "channels")?;
    string_list(config, "patterns")?;
    if config
        .get("allow_unsigned_legacy")
        .is_some_and(|v| !v.is_boolean())
    {
        return Err(ApiError::validation(
            "config.allow_unsigned_legacy",
            "must be true or false",
        ));
    }
    Ok(())
}

/// Whether the provider signs its requests, so the integration needs its secret.
fn secret_required(source: Source, config: &Map<String, Value>) -> bool {
    match source {
        Source::Generic => false,
        Source::Sentry => config.get("allow_unsigned_legacy") != Some(&Value::Bool(true)),
        Source::Github | Source::Jira | Source::Pagerduty | Source::Slack => true,
        // Never an integration (`parse_source` knows only webhook sources).
        Source::Cloudwatch => false,
    }
}

/// Create an integration.
///
/// An inbound integration: its webhook URL is `/v1/hooks/{source}/{id}`. The provider secret is
/// sealed (AES-256-GCM) and never returned. Scope: `integrations:write`.
#[utoipa::path(
    post,
    path = "/v1/integrations",
    tag = "integrations",
    operation_id = "create_integration",
    request_body = CreateIntegration,
    responses(
        (status = 201, description = "The integration and its webhook path", body = IntegrationView),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Json(body): Json<CreateIntegration>,
) -> Result<Audited, ApiError> {
    let tenant = &tenant;
    let source = parse_source(&body.source)?;
    let name = checked_name("name", &body.name)?;
    check_config(source, &body.config)?;
    match (&body.secret, body.unsigned) {
        (_, true) if source != Source::Generic => {
            return Err(ApiError::validation(
                "unsigned",
                format!(
                    "only generic integrations may be unsigned; {} needs its signing secret{}",
                    source.as_str(),
                    if source == Source::Sentry {
                        " (or `config.allow_unsigned_legacy` for legacy integrations)"
                    } else {
                        ""
                    }
                ),
            ))
        }
        (Some(_), true) => return Err(ApiError::validation(
            "unsigned",
            "an integration with a secret verifies every request: drop `unsigned` or the secret",
        )),
        (None, false) if source == Source::Generic => {
            return Err(ApiError::validation(
                "secret",
                "give a `secret` (requests are then verified), or `\"unsigned\": true` to accept \
                 anyone's requests knowingly",
            ))
        }
        _ => {}
    }
    match &body.secret {
        Some(secret) if secret.len() < 16 || secret.len() > 1024 => {
            return Err(ApiError::validation(
                "secret",
                "`secret` must be 16 to 1024 characters",
            ))
        }
        Some(_) if source == Source::Sentry && !secret_required(source, &body.config) => {
            return Err(ApiError::validation(
                "config.allow_unsigned_legacy",
                "an integration with a secret verifies every request: drop `allow_unsigned_legacy` or the secret",
            ))
        }
        None if secret_required(source, &body.config) => {
            return Err(ApiError::validation(
                "secret",
                format!(
                    "{} signs its webhooks: give its signing secret",
                    source.as_str()
                ),
            ))
        }
        _ => {}
    }
    if let Some(raw) = &body.project_id {
        let known = match ProjectId::parse(raw) {
            Some(id) => state.store.get_project(tenant, &id).await?.is_some(),
            None => false,
        };
        if !known {
            return Err(ApiError::validation(
                "project_id",
                format!("`project_id` names no project of this tenant: `{raw}`"),
            ));
        }
    }
    let mut integration = Integration {
        id: IntegrationId::generate(),
        tenant_id: tenant.clone(),
        source,
        name,
        project_id: body.project_id,
        config: body.config,
        secret: None,
        unsigned: body.unsigned,
        created_at: state.clock.now(),
    };
    if let Some(secret) = &body.secret {
        let cipher = state.cipher().await?;
        integration.secret = Some(cipher.seal(secret, &integration.secret_context()));
    }
    state.store.create_integration(&integration).await?;
    Ok(Audited::created(
        "integrations",
        &integration.id,
        &IntegrationView::from(&integration),
    ))
}

/// List integrations.
///
/// Scope: `integrations:read`.
#[utoipa::path(
    get,
    path = "/v1/integrations",
    tag = "integrations",
    operation_id = "list_integrations",
    params(
        faultline::http::openapi::PageQuery,
    ),
    responses(
        (status = 200, description = "A page of integrations", body = IntegrationPage),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsRead>,
    Page(page): Page,
) -> Result<Json<IntegrationPage>, ApiError> {
    let page = state.store.list_integrations(&tenant, &page).await?;
    Ok(Json(page.map(|i| IntegrationView::from(&i)).into()))
}

/// The window of `GET /v1/integrations/{id}/stats`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    hours: Option<i64>,
}

/// An integration's statistics.
///
/// What its webhooks came to over the last `hours` (1 to 720, default 24; whole hours): received,
/// accepted, duplicates, replied, refused by reason, failed, and when the last one arrived.
/// Webhooks refused by the rate limit are not counted here. Scope: `integrations:read`.
#[utoipa::path(
    get,
    path = "/v1/integrations/{id}/stats",
    tag = "integrations",
    operation_id = "get_integration_stats",
    params(
        ("id" = String, Path, description = "The integration (`int_…`)"),
        ("hours" = Option<i64>, Query, description = "The window, 1 to 720 hours (default 24)"),
    ),
    responses((status = 200, description = "Its statistics", body = IntegrationStatsView)),
)]
pub async fn stats(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsRead>,
    Path(id): Path<IntegrationId>,
    Query(query): Query<StatsQuery>,
) -> Result<Json<IntegrationStatsView>, ApiError> {
    let hours = query.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::bad_parameter("hours", "`hours` must be 1 to 720"));
    }
    let integration = state
        .store
        .get_integration(&id)
        .await?
        .filter(|i| i.tenant_id == tenant)
        .ok_or_else(|| ApiError::not_found("integration", id.as_str()))?;
    let until = state.clock.now();
    let since = until - chrono::Duration::hours(hours - 1);
    let stats = state
        .store
        .inbound_stats(&tenant, &integration.id, since, until)
        .await?;
    let count = |result: &str| stats.by_result.get(result).copied().unwrap_or(0);
    Ok(Json(IntegrationStatsView {
        integration_id: integration.id.to_string(),
        since: chrono::DateTime::from_timestamp(
            since.timestamp() - since.timestamp().rem_euclid(3600),
            0,
        )
        .unwrap_or(since),
        until,
        received: stats.received,
        accepted: count("accepted"),
        duplicate: count("duplicate"),
        replied: count("replied"),
        refused: RefusedView {
            signature: count("refused_signature"),
            invalid: count("refused_invalid"),
        },
        failed: count("failed"),
        last_received_at: stats.last_received_at,
    }))
}

/// Replay an inbound delivery.
///
/// Processes an archived inbound delivery again, from the exact bytes received. Scope:
/// `integrations:write`.
#[utoipa::path(
    post,
    path = "/v1/hooks/deliveries/{id}/replay",
    tag = "integrations",
    operation_id = "replay_delivery",
    params(
        ("id" = String, Path, description = "The inbound delivery id"),
    ),
    responses(
        (status = 202, description = "Processed again", body = Object),
    ),
)]
pub async fn replay_delivery(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<IntegrationsWrite>,
    Path(id): Path<DeliveryId>,
) -> Result<Response, ApiError> {
    let outcome = replay(&state, &tenant, &id).await.map_err(ApiError::from)?;
    let (status, body) = faultline::http::outcome_parts(outcome);
    // What a replay changes is what the pipeline did again: recorded as the replay's outcome.
    let mut response = Audited::action(
        status,
        &body,
        "deliveries",
        &id,
        &json!({}),
        &json!({"replayed": body}),
    )
    .into_response();
    response
        .headers_mut()
        .insert("x-faultline-replay", http::HeaderValue::from_static("true"));
    Ok(response)
}
