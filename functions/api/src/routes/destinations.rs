use super::destination_targets::{merged, target_of, CreateDestination, UpdateDestination};
use axum::extract::State;
use faultline::domain::notification::{Destination, DestinationKind, Target};
use faultline::domain::{DestinationId, TenantId};
use faultline::http::scopes::{NotificationsRead, NotificationsWrite};
use faultline::http::{checked_name, ApiError, Audited, Authorized, Json, Page, Path};
use faultline::services::notify::{open_secret, send_test};
use faultline::views::{DestinationPage, DestinationTestView, DestinationView};
use faultline::AppState;

/// Create a destination.
///
/// A Slack channel (incoming webhook, or a bot token and channel ID so messages are edited in
/// place), a Teams channel (Workflows URL), mailboxes (SES, or the team's SMTP server), or a
/// user (email as their preferences say). URLs, tokens and passwords are stored sealed and never
/// shown again. Scope: `notifications:write`.
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
    if body.changes_target() {
        // Checked whole, as a creation: the stored target with the change on top.
        let secret = open_secret(&state, &destination)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let merged = merged(&destination.name, &destination.target, secret, &body)?;
        let cipher = state.cipher().await?;
        let kind = destination.target.kind();
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
    let outcome = send_test(&state, &destination)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let view = DestinationTestView {
        status: outcome.status.as_str().into(),
        detail: outcome.detail,
        status_code: outcome.status_code,
        retryable: outcome.retryable,
    };
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
