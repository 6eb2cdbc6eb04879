use axum::extract::State;
use faultline::domain::notification::{Matchers, NotificationRule, Throttle, NOTIFIED_EVENT_TYPES};
use faultline::domain::{DestinationId, EventType, NotificationRuleId, Severity, Source, TenantId};
use faultline::http::scopes::{NotificationsRead, NotificationsWrite};
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Path};
use faultline::views::{NotificationRuleList, NotificationRuleView};
use faultline::AppState;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What a rule matches, as sent.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchersBody {
    /// Incident and issue event types (`incident.created`, `incident.updated`,
    /// `incident.assigned`, `incident.resolved`, `issue.created`, `issue.updated`,
    /// `issue.resolved`); empty: all of them.
    #[serde(default)]
    event_types: Vec<String>,
    /// This severity or worse.
    #[serde(default)]
    min_severity: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    project_ids: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    environments: Vec<String>,
    /// Attributes that must equal these strings.
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

/// How often one incident notifies through the rule, as sent.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrottleBody {
    #[serde(default)]
    once_until_resolved: bool,
    /// 1 to 10,080 (a week).
    #[serde(default)]
    repeat_interval_minutes: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    name: String,
    /// Evaluation order, lower first (default: after the last rule).
    #[serde(default)]
    position: Option<u32>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    matchers: MatchersBody,
    /// 1 to 20 destinations (`dst_…`).
    destinations: Vec<String>,
    /// Evaluate the next rules too after this one matched.
    #[serde(default, rename = "continue")]
    continue_matching: bool,
    /// Apply only when no other rule matched (the default route).
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    throttle: ThrottleBody,
}

fn enabled_by_default() -> bool {
    true
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRule {
    name: Option<String>,
    position: Option<u32>,
    enabled: Option<bool>,
    matchers: Option<MatchersBody>,
    destinations: Option<Vec<String>>,
    #[serde(rename = "continue")]
    continue_matching: Option<bool>,
    fallback: Option<bool>,
    throttle: Option<ThrottleBody>,
}

const MAX_LIST: usize = 50;

fn checked_list(field: &str, values: &[String]) -> Result<Vec<String>, ApiError> {
    if values.len() > MAX_LIST || values.iter().any(|v| v.is_empty() || v.len() > 200) {
        return Err(ApiError::validation(
            field,
            format!(
                "`{field}` takes at most {MAX_LIST} non-empty values of at most 200 characters"
            ),
        ));
    }
    Ok(values.to_vec())
}

pub(super) fn checked_matchers(body: &MatchersBody) -> Result<Matchers, ApiError> {
    let event_types = body
        .event_types
        .iter()
        .map(|name| {
            EventType::parse(name)
                .filter(|t| NOTIFIED_EVENT_TYPES.contains(t))
                .ok_or_else(|| {
                    let known: Vec<_> = NOTIFIED_EVENT_TYPES.iter().map(|t| t.as_str()).collect();
                    ApiError::validation(
                        "matchers.event_types",
                        format!(
                            "`{name}` is not an event type notifications are about; known: {}",
                            known.join(", ")
                        ),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let min_severity = body
        .min_severity
        .as_deref()
        .map(|s| {
            Severity::parse(s).ok_or_else(|| {
                ApiError::validation(
                    "matchers.min_severity",
                    format!("`min_severity` must be one of {}", Severity::NAMES),
                )
            })
        })
        .transpose()?;
    for source in &body.sources {
        if !Source::ALL.iter().any(|s| s.as_str() == source) {
            let known: Vec<_> = Source::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::validation(
                "matchers.sources",
                format!("`{source}` is not a source; known: {}", known.join(", ")),
            ));
        }
    }
    if body.attributes.len() > MAX_LIST {
        return Err(ApiError::validation(
            "matchers.attributes",
            format!("`attributes` takes at most {MAX_LIST} entries"),
        ));
    }
    Ok(Matchers {
        event_types,
        min_severity,
        sources: checked_list("matchers.sources", &body.sources)?,
        project_ids: checked_list("matchers.project_ids", &body.project_ids)?,
        services: checked_list("matchers.services", &body.services)?,
        environments: checked_list("matchers.environments", &body.environments)?,
        attributes: body.attributes.clone(),
    })
}

fn checked_throttle(body: &ThrottleBody) -> Result<Throttle, ApiError> {
    if let Some(minutes) = body.repeat_interval_minutes {
        if !(1..=10_080).contains(&minutes) {
            return Err(ApiError::validation(
                "throttle.repeat_interval_minutes",
                "`repeat_interval_minutes` must be 1 to 10080 (a week)",
            ));
        }
    }
    Ok(Throttle {
        once_until_resolved: body.once_until_resolved,
        repeat_interval_minutes: body.repeat_interval_minutes,
    })
}

/// The destinations, each one of the tenant's.
async fn checked_destinations(
    state: &AppState,
    tenant: &TenantId,
    ids: &[String],
) -> Result<Vec<DestinationId>, ApiError> {
    if ids.is_empty() || ids.len() > 20 {
        return Err(ApiError::validation(
            "destinations",
            "`destinations` must name 1 to 20 destinations",
        ));
    }
    let mut checked = Vec::new();
    for raw in ids {
        let id = DestinationId::parse(raw).ok_or_else(|| {
            ApiError::validation("destinations", format!("`{raw}` is not a destination id"))
        })?;
        if state.store.get_destination(tenant, &id).await?.is_none() {
            return Err(ApiError::validation(
                "destinations",
                format!("there is no destination `{raw}`"),
            ));
        }
        if !checked.contains(&id) {
            checked.push(id);
        }
    }
    Ok(checked)
}

/// Create a notification rule.
///
/// Rules are evaluated in `position` order for every incident and issue event: the first that
/// matches sends to its destinations and ends the evaluation unless it says `continue`; a
/// `fallback` rule applies only when no other rule matched. Scope: `notifications:write`.
#[utoipa::path(
    post,
    path = "/v1/notification-rules",
    tag = "notifications",
    operation_id = "create_notification_rule",
    request_body = CreateRule,
    responses((status = 201, description = "The rule", body = NotificationRuleView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Json(body): Json<CreateRule>,
) -> Result<Audited, ApiError> {
    let name = checked_name("name", &body.name)?;
    let matchers = checked_matchers(&body.matchers)?;
    let throttle = checked_throttle(&body.throttle)?;
    let destinations = checked_destinations(&state, &tenant, &body.destinations).await?;
    let rules = state.store.all_notification_rules(&tenant).await?;
    if rules.len() >= 100 {
        return Err(ApiError::Conflict(
            "this tenant has its 100 notification rules: delete one first".into(),
        ));
    }
    let position = body.position.unwrap_or_else(|| {
        rules
            .iter()
            .map(|r| r.position.saturating_add(10))
            .max()
            .unwrap_or(10)
    });
    let now = state.clock.now();
    let rule = NotificationRule {
        id: NotificationRuleId::generate(),
        tenant_id: tenant,
        name,
        position,
        enabled: body.enabled,
        matchers,
        destinations,
        continue_matching: body.continue_matching,
        fallback: body.fallback,
        throttle,
        created_at: now,
        updated_at: now,
    };
    state.store.create_notification_rule(&rule).await?;
    Ok(Audited::created(
        "notification-rules",
        &rule.id,
        &NotificationRuleView::from(&rule),
    ))
}

async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &NotificationRuleId,
) -> Result<NotificationRule, ApiError> {
    state
        .store
        .get_notification_rule(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("notification rule", id.as_str()))
}

/// List notification rules.
///
/// Every rule, in evaluation order. Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/notification-rules",
    tag = "notifications",
    operation_id = "list_notification_rules",
    responses((status = 200, description = "The rules in evaluation order", body = NotificationRuleList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
) -> Result<Json<NotificationRuleList>, ApiError> {
    let mut rules = state.store.all_notification_rules(&tenant).await?;
    rules.sort_by(|a, b| (a.fallback, a.position, &a.id).cmp(&(b.fallback, b.position, &b.id)));
    Ok(Json(NotificationRuleList {
        items: rules.iter().map(NotificationRuleView::from).collect(),
        next_cursor: None,
    }))
}

/// Get a notification rule.
///
/// Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/notification-rules/{id}",
    tag = "notifications",
    operation_id = "get_notification_rule",
    params(("id" = String, Path, description = "The rule (`nrl_…`)")),
    responses((status = 200, description = "The rule", body = NotificationRuleView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Path(id): Path<NotificationRuleId>,
) -> Result<Json<NotificationRuleView>, ApiError> {
    Ok(Json(NotificationRuleView::from(
        &find(&state, &tenant, &id).await?,
    )))
}

/// Change a notification rule.
///
/// Only the fields given change (`matchers` and `throttle` are replaced whole). Scope:
/// `notifications:write`.
#[utoipa::path(
    patch,
    path = "/v1/notification-rules/{id}",
    tag = "notifications",
    operation_id = "update_notification_rule",
    params(("id" = String, Path, description = "The rule (`nrl_…`)")),
    request_body = UpdateRule,
    responses((status = 200, description = "The changed rule", body = NotificationRuleView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<NotificationRuleId>,
    Json(body): Json<UpdateRule>,
) -> Result<Audited, ApiError> {
    let mut rule = find(&state, &tenant, &id).await?;
    let before = NotificationRuleView::from(&rule);
    if let Some(name) = &body.name {
        rule.name = checked_name("name", name)?;
    }
    if let Some(matchers) = &body.matchers {
        rule.matchers = checked_matchers(matchers)?;
    }
    if let Some(throttle) = &body.throttle {
        rule.throttle = checked_throttle(throttle)?;
    }
    if let Some(destinations) = &body.destinations {
        rule.destinations = checked_destinations(&state, &tenant, destinations).await?;
    }
    rule.position = body.position.unwrap_or(rule.position);
    rule.enabled = body.enabled.unwrap_or(rule.enabled);
    rule.continue_matching = body.continue_matching.unwrap_or(rule.continue_matching);
    rule.fallback = body.fallback.unwrap_or(rule.fallback);
    rule.updated_at = state.clock.now();
    match state.store.update_notification_rule(&rule).await {
        Ok(()) => {}
        Err(faultline::store::StoreError::Conflict) => {
            return Err(ApiError::not_found("notification rule", id.as_str()))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Audited::updated(
        "notification-rules",
        &rule.id,
        &before,
        &NotificationRuleView::from(&rule),
    ))
}

/// Delete a notification rule.
///
/// Scope: `notifications:write`.
#[utoipa::path(
    delete,
    path = "/v1/notification-rules/{id}",
    tag = "notifications",
    operation_id = "delete_notification_rule",
    params(("id" = String, Path, description = "The rule (`nrl_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<NotificationRuleId>,
) -> Result<Audited, ApiError> {
    let rule = find(&state, &tenant, &id).await?;
    if state.store.delete_notification_rule(&tenant, &id).await? {
        Ok(Audited::deleted(
            "notification-rules",
            &id,
            &NotificationRuleView::from(&rule),
        ))
    } else {
        Err(ApiError::not_found("notification rule", id.as_str()))
    }
}
