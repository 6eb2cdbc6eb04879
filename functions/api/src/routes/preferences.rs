use axum::extract::State;
use faultline::domain::notification::Preferences;
use faultline::domain::UserId;
use faultline::http::scopes::UsersManage;
use faultline::http::{ApiError, Audited, Authorized, Json, Path};
use faultline::store::StoredPreferences;
use faultline::views::PreferencesView;
use faultline::AppState;

/// Get a user's notification preferences.
///
/// What a `user` destination honours: the least severity told at once, quiet hours, and a daily or
/// weekly digest. Scope: `users:manage`.
#[utoipa::path(
    get,
    path = "/v1/users/{id}/notification-preferences",
    tag = "notifications",
    operation_id = "get_notification_preferences",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    responses((status = 200, description = "The preferences", body = PreferencesView)),
)]
pub async fn get(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
) -> Result<Json<PreferencesView>, ApiError> {
    super::users::find(&state, &tenant, &id).await?;
    let stored = state.store.get_preferences(&tenant, &id).await?;
    Ok(Json(PreferencesView::from(&stored)))
}

/// Set a user's notification preferences.
///
/// Replaces them whole: `min_severity` (told at once only this severe or worse), `quiet_hours`
/// (`{"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"}`: held until they end),
/// `digest` (`{"every": "daily"|"weekly", "hour": 8, "weekday": "mon", "time_zone": …}`: one
/// email listing the period's incidents), `digest_only` (nothing at once). Scope: `users:manage`.
#[utoipa::path(
    put,
    path = "/v1/users/{id}/notification-preferences",
    tag = "notifications",
    operation_id = "set_notification_preferences",
    params(("id" = String, Path, description = "The user (`usr_…`)")),
    request_body(content = Object, description = "The preferences"),
    responses((status = 200, description = "The preferences, with the next digest's time", body = PreferencesView)),
)]
pub async fn put(
    State(state): State<AppState>,
    Authorized { tenant, .. }: Authorized<UsersManage>,
    Path(id): Path<UserId>,
    Json(preferences): Json<Preferences>,
) -> Result<Audited, ApiError> {
    super::users::find(&state, &tenant, &id).await?;
    preferences
        .check()
        .map_err(|(field, detail)| ApiError::validation(field, detail))?;
    let before = PreferencesView::from(&state.store.get_preferences(&tenant, &id).await?);
    let now = state.clock.now();
    let stored = StoredPreferences {
        digest_due: preferences.digest.as_ref().map(|d| d.next_after(now)),
        preferences,
    };
    state.store.put_preferences(&tenant, &id, &stored).await?;
    Ok(Audited::updated(
        "users",
        &id,
        &before,
        &PreferencesView::from(&stored),
    ))
}
