use axum::extract::State;
use faultline::domain::notification::destination::{
    check_email_address, check_provider_url, check_slack_channel, mask_token, mask_url,
};
use faultline::domain::notification::{
    Destination, DestinationKind, NotificationRecord, NotificationStatus, Target,
};
use faultline::domain::{DestinationId, NotificationId, TenantId};
use faultline::http::scopes::{NotificationsRead, NotificationsWrite};
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Page, Path};
use faultline::notify::{deliver, email::MAX_RECIPIENTS, Notice};
use faultline::secrets::SecretCipher;
use faultline::services::notify::{channels, open_secret, resolve_user};
use faultline::views::{DestinationPage, DestinationTestView, DestinationView};
use faultline::AppState;
use serde::Deserialize;

/// A new destination: `kind` says which of the other fields it needs.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDestination {
    /// What people call it.
    name: String,
    /// `slack_webhook`, `slack_bot`, `teams` or `email`.
    kind: String,
    /// `slack_webhook`: the incoming webhook URL; `teams`: the Workflows URL. Stored sealed.
    #[serde(default)]
    url: Option<String>,
    /// `slack_bot`: the bot token (`xoxb-…`, scope `chat:write`). Stored sealed.
    #[serde(default)]
    token: Option<String>,
    /// `slack_bot`: the channel ID (`C…`); invite the app to the channel.
    #[serde(default)]
    channel: Option<String>,
    /// `email`: 1 to 50 recipients.
    #[serde(default)]
    to: Option<Vec<String>>,
    /// `user`: the user (`usr_…`) told by email, as their notification preferences say.
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// A change: only the fields given change; the kind cannot.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestination {
    name: Option<String>,
    /// A new URL (`slack_webhook`, `teams`).
    url: Option<String>,
    /// A new token (`slack_bot`).
    token: Option<String>,
    /// A new channel ID (`slack_bot`).
    channel: Option<String>,
    /// New recipients (`email`).
    to: Option<Vec<String>>,
    enabled: Option<bool>,
}

fn checked_provider_url(
    state: &AppState,
    kind: DestinationKind,
    url: &str,
) -> Result<String, ApiError> {
    let checked = state
        .config
        .url_policy()
        .check(url)
        .map_err(|reason| ApiError::validation("url", format!("`url` {reason}")))?;
    if !state.config.local_mode {
        check_provider_url(kind, checked.as_str()).map_err(|e| ApiError::validation("url", e))?;
    }
    Ok(checked.as_str().to_owned())
}

fn checked_recipients(to: &[String]) -> Result<Vec<String>, ApiError> {
    if to.is_empty() || to.len() > MAX_RECIPIENTS {
        return Err(ApiError::validation(
            "to",
            format!("`to` must list 1 to {MAX_RECIPIENTS} addresses"),
        ));
    }
    for address in to {
        check_email_address(address).map_err(|e| ApiError::validation("to", e))?;
    }
    Ok(to.to_vec())
}

fn checked_token(token: &str) -> Result<&str, ApiError> {
    if token.starts_with("xoxb-") && token.len() <= 255 && !token.chars().any(char::is_whitespace) {
        Ok(token)
    } else {
        Err(ApiError::validation(
            "token",
            "`token` must be a Slack bot token (`xoxb-…`)",
        ))
    }
}

fn required<'a, T>(
    value: &'a Option<T>,
    field: &str,
    kind: DestinationKind,
) -> Result<&'a T, ApiError> {
    value.as_ref().ok_or_else(|| {
        ApiError::validation(
            field,
            format!(
                "`{field}` is required for a `{}` destination",
                kind.as_str()
            ),
        )
    })
}

fn refuse_extra(present: bool, field: &str, kind: DestinationKind) -> Result<(), ApiError> {
    if present {
        return Err(ApiError::validation(
            field,
            format!(
                "`{field}` does not apply to a `{}` destination",
                kind.as_str()
            ),
        ));
    }
    Ok(())
}

/// The target `body` describes, its secret sealed for destination `id`.
fn target_of(
    state: &AppState,
    cipher: &SecretCipher,
    context: &str,
    kind: DestinationKind,
    body: &CreateDestination,
) -> Result<Target, ApiError> {
    let uses = |field: &str| match kind {
        DestinationKind::SlackWebhook | DestinationKind::Teams => field == "url",
        DestinationKind::SlackBot => field == "token" || field == "channel",
        DestinationKind::Email => field == "to",
        DestinationKind::User => field == "user_id",
    };
    for (field, present) in [
        ("url", body.url.is_some()),
        ("token", body.token.is_some()),
        ("channel", body.channel.is_some()),
        ("to", body.to.is_some()),
        ("user_id", body.user_id.is_some()),
    ] {
        refuse_extra(present && !uses(field), field, kind)?;
    }
    Ok(match kind {
        DestinationKind::SlackWebhook | DestinationKind::Teams => {
            let url = checked_provider_url(state, kind, required(&body.url, "url", kind)?)?;
            let (url, masked) = (cipher.seal(&url, context), mask_url(&url));
            if kind == DestinationKind::Teams {
                Target::Teams { url, masked }
            } else {
                Target::SlackWebhook { url, masked }
            }
        }
        DestinationKind::SlackBot => {
            let token = checked_token(required(&body.token, "token", kind)?)?;
            let channel = required(&body.channel, "channel", kind)?;
            check_slack_channel(channel).map_err(|e| ApiError::validation("channel", e))?;
            Target::SlackBot {
                token: cipher.seal(token, context),
                masked: mask_token(token),
                channel: channel.clone(),
            }
        }
        DestinationKind::Email => Target::Email {
            to: checked_recipients(required(&body.to, "to", kind)?)?,
        },
        DestinationKind::User => {
            let raw = required(&body.user_id, "user_id", kind)?;
            let user_id = faultline::domain::UserId::parse(raw).ok_or_else(|| {
                ApiError::validation("user_id", format!("`{raw}` is not a user id"))
            })?;
            Target::User { user_id }
        }
    })
}

/// Create a destination.
///
/// A Slack channel (incoming webhook, or a bot token and channel ID so messages are edited in
/// place), a Teams channel (Workflows URL) or mailboxes (SES). URLs and tokens are stored sealed
/// and never shown again. Scope: `notifications:write`.
#[utoipa::path(
    post,
    path = "/v1/destinations",
    tag = "notifications",
    operation_id = "create_destination",
    request_body = CreateDestination,
    responses((status = 201, description = "The destination (its credential masked)", body = DestinationView)),
)]
pub async fn create(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Json(body): Json<CreateDestination>,
) -> Result<Audited, ApiError> {
    let name = checked_name("name", &body.name)?;
    let kind = DestinationKind::parse(&body.kind).ok_or_else(|| {
        ApiError::validation(
            "kind",
            format!("`kind` must be one of {}", DestinationKind::NAMES),
        )
    })?;
    let id = DestinationId::generate();
    let cipher = state.cipher().await?;
    let target = target_of(
        &state,
        &cipher,
        &Destination::secret_context_for(&tenant, &id),
        kind,
        &body,
    )?;
    if let Target::User { user_id } = &target {
        if state.store.get_user(&tenant, user_id).await?.is_none() {
            return Err(ApiError::validation(
                "user_id",
                format!("there is no user `{user_id}`"),
            ));
        }
    }
    let now = state.clock.now();
    let destination = Destination {
        id,
        tenant_id: tenant,
        name,
        target,
        enabled: body.enabled,
        created_at: now,
        updated_at: now,
    };
    state.store.create_destination(&destination).await?;
    let shown = DestinationView::from(&destination);
    Ok(Audited::created("destinations", &destination.id, &shown))
}

/// The tenant's destination `id`, or 404.
pub(super) async fn find(
    state: &AppState,
    tenant: &TenantId,
    id: &DestinationId,
) -> Result<Destination, ApiError> {
    state
        .store
        .get_destination(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("destination", id.as_str()))
}

/// List destinations.
///
/// Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/destinations",
    tag = "notifications",
    operation_id = "list_destinations",
    params(faultline::http::openapi::PageQuery),
    responses((status = 200, description = "A page of destinations", body = DestinationPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Page(page): Page,
) -> Result<Json<DestinationPage>, ApiError> {
    let page = state.store.list_destinations(&tenant, &page).await?;
    Ok(Json(page.map(|d| DestinationView::from(&d)).into()))
}

/// Get a destination.
///
/// Scope: `notifications:read`.
#[utoipa::path(
    get,
    path = "/v1/destinations/{id}",
    tag = "notifications",
    operation_id = "get_destination",
    params(("id" = String, Path, description = "The destination (`dst_…`)")),
    responses((status = 200, description = "The destination (its credential masked)", body = DestinationView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsRead>,
    Path(id): Path<DestinationId>,
) -> Result<Json<DestinationView>, ApiError> {
    Ok(Json(DestinationView::from(
        &find(&state, &tenant, &id).await?,
    )))
}

/// Change a destination.
///
/// Only the fields given change; a new URL or token replaces the sealed one. The kind cannot
/// change. Scope: `notifications:write`.
#[utoipa::path(
    patch,
    path = "/v1/destinations/{id}",
    tag = "notifications",
    operation_id = "update_destination",
    params(("id" = String, Path, description = "The destination (`dst_…`)")),
    request_body = UpdateDestination,
    responses((status = 200, description = "The changed destination", body = DestinationView)),
)]
pub async fn update(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<DestinationId>,
    Json(body): Json<UpdateDestination>,
) -> Result<Audited, ApiError> {
    let mut destination = find(&state, &tenant, &id).await?;
    let before = DestinationView::from(&destination);
    if let Some(name) = &body.name {
        destination.name = checked_name("name", name)?;
    }
    if let Some(enabled) = body.enabled {
        destination.enabled = enabled;
    }
    let kind = destination.target.kind();
    let changes_target =
        body.url.is_some() || body.token.is_some() || body.channel.is_some() || body.to.is_some();
    if changes_target {
        // The unchanged parts of the target, re-read from what is stored.
        let secret = open_secret(&state, &destination)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let (channel, to) = match &destination.target {
            Target::SlackBot { channel, .. } => (Some(channel.clone()), None),
            Target::Email { to } => (None, Some(to.clone())),
            _ => (None, None),
        };
        let keep_if = |k: bool, v: Option<String>| if k { v } else { None };
        let merged = CreateDestination {
            name: destination.name.clone(),
            kind: kind.as_str().to_owned(),
            url: body.url.clone().or_else(|| {
                keep_if(
                    matches!(kind, DestinationKind::SlackWebhook | DestinationKind::Teams),
                    secret.clone(),
                )
            }),
            token: body
                .token
                .clone()
                .or_else(|| keep_if(kind == DestinationKind::SlackBot, secret.clone())),
            channel: body.channel.clone().or(channel),
            to: body.to.clone().or(to),
            user_id: match &destination.target {
                Target::User { user_id } => Some(user_id.to_string()),
                _ => None,
            },
            enabled: destination.enabled,
        };
        let cipher = state.cipher().await?;
        destination.target = target_of(
            &state,
            &cipher,
            &destination.secret_context(),
            kind,
            &merged,
        )?;
    }
    destination.updated_at = state.clock.now();
    match state.store.update_destination(&destination).await {
        Ok(()) => {}
        Err(faultline::store::StoreError::Conflict) => {
            return Err(ApiError::not_found("destination", id.as_str()))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(Audited::updated(
        "destinations",
        &destination.id,
        &before,
        &DestinationView::from(&destination),
    ))
}

/// Delete a destination.
///
/// Rules that name it skip it from then on. Scope: `notifications:write`.
#[utoipa::path(
    delete,
    path = "/v1/destinations/{id}",
    tag = "notifications",
    operation_id = "delete_destination",
    params(("id" = String, Path, description = "The destination (`dst_…`)")),
    responses((status = 204, description = "Deleted")),
)]
pub async fn delete(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<DestinationId>,
) -> Result<Audited, ApiError> {
    let destination = find(&state, &tenant, &id).await?;
    if state.store.delete_destination(&tenant, &id).await? {
        Ok(Audited::deleted(
            "destinations",
            &id,
            &DestinationView::from(&destination),
        ))
    } else {
        Err(ApiError::not_found("destination", id.as_str()))
    }
}

/// Send a test notification.
///
/// Sends a plainly-marked test message to the destination now and answers what the provider
/// said (a failure is an answer here, not an error). It is recorded in the notification ledger.
/// Scope: `notifications:write`.
#[utoipa::path(
    post,
    path = "/v1/destinations/{id}/test",
    tag = "notifications",
    operation_id = "test_destination",
    params(("id" = String, Path, description = "The destination (`dst_…`)")),
    responses((status = 200, description = "What the provider answered", body = DestinationTestView)),
)]
pub async fn test(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<NotificationsWrite>,
    Path(id): Path<DestinationId>,
) -> Result<Audited, ApiError> {
    let destination = find(&state, &tenant, &id).await?;
    let secret = open_secret(&state, &destination)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let now = state.clock.now();
    let notice = Notice::test(&destination.name, now);
    let record_id = NotificationId::generate();
    let message_id = format!("<{record_id}.{}@faultline>", destination.id);
    // A person is sent email at their address (their preferences do not apply to a test).
    let sent = match resolve_user(&state, destination.clone())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
    {
        Ok((sendable, _)) => {
            deliver(
                &channels(&state),
                &sendable,
                secret.as_deref(),
                &notice,
                None,
                &message_id,
            )
            .await
        }
        Err(reason) => Err(faultline::notify::SendFailure::permanent(reason)),
    };
    let (view, status) = match sent {
        Ok(d) => {
            let status = if d.accepted_only {
                NotificationStatus::Accepted
            } else {
                NotificationStatus::Sent
            };
            (
                DestinationTestView {
                    status: status.as_str().into(),
                    detail: d.action.into(),
                    status_code: d.status_code,
                    retryable: None,
                },
                status,
            )
        }
        Err(f) => (
            DestinationTestView {
                status: "failed".into(),
                detail: f.reason.clone(),
                status_code: f.status_code,
                retryable: Some(f.retryable),
            },
            NotificationStatus::Failed,
        ),
    };
    state
        .store
        .record_notification(&NotificationRecord {
            id: record_id,
            tenant_id: tenant.clone(),
            incident_id: None,
            destination_id: destination.id.clone(),
            rule_id: None,
            event_id: None,
            event_type: None,
            status,
            detail: format!("test: {}", view.detail),
            attempt: 1,
            status_code: view.status_code,
            latency_ms: None,
            created_at: now,
        })
        .await?;
    let shown = DestinationView::from(&destination);
    Ok(Audited::action(
        http::StatusCode::OK,
        &view,
        "destinations",
        &destination.id,
        &shown,
        &shown,
    ))
}
