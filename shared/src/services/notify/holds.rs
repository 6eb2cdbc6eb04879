//! What holds a notification back: a maintenance window, or the person's preferences.

use crate::domain::notification::{
    window_effect, Destination, Preferences, Subject, Target, WindowEffect,
};
use crate::queue::NotifyTask;
use crate::services::ServiceError;
use crate::views::IncidentView;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What holds a notification back.
pub(super) enum Hold {
    /// Nothing.
    Pass,
    /// It is not sent, for this reason.
    Drop(String),
    /// It is looked at again at this time.
    Until(String, chrono::DateTime<chrono::Utc>),
}

/// What a person's preferences do to a notification about `incident` at `now`.
fn preference_effect(
    name: &str,
    preferences: &Preferences,
    incident: &IncidentView,
    now: chrono::DateTime<chrono::Utc>,
) -> Hold {
    if preferences.digest_only {
        return Hold::Drop(format!("{name} wants the digest only"));
    }
    if preferences
        .min_severity
        .is_some_and(|min| incident.severity > min)
    {
        return Hold::Drop(format!("below {name}'s least severity"));
    }
    match preferences
        .quiet_hours
        .as_ref()
        .and_then(|q| q.active_until(now))
    {
        Some(until) => Hold::Until(format!("{name}'s quiet hours"), until),
        None => Hold::Pass,
    }
}

/// A `user` destination as the email destination it is sent as (the user's address), with the
/// user's name and preferences; other destinations as they are. `Err` says why nothing can be
/// sent (the user left, or was deactivated).
pub async fn resolve_user(
    state: &AppState,
    destination: Destination,
) -> Result<Result<(Destination, Option<(String, Preferences)>), String>, ServiceError> {
    let Target::User { user_id } = &destination.target else {
        return Ok(Ok((destination, None)));
    };
    let Some(user) = state
        .store
        .get_user(&destination.tenant_id, user_id)
        .await?
    else {
        return Ok(Err(format!("the user `{user_id}` was deleted")));
    };
    if !user.active {
        return Ok(Err(format!("the user `{}` is deactivated", user.email)));
    }
    let preferences = state
        .store
        .get_preferences(&destination.tenant_id, user_id)
        .await?
        .preferences;
    let email = Destination {
        target: Target::Email {
            to: vec![user.email.clone()],
        },
        ..destination
    };
    Ok(Ok((email, Some((user.email, preferences)))))
}

/// Where `task` goes and what holds it back at `now`: the tenant's maintenance windows first,
/// then, for a person, their preferences. `Err` says why nothing can be sent.
pub(super) async fn hold_for(
    state: &AppState,
    task: &NotifyTask,
    destination: Destination,
    incident: &IncidentView,
    now: DateTime<Utc>,
) -> Result<Result<(Destination, Hold), String>, ServiceError> {
    let windows = state.store.all_maintenance_windows(&task.tenant_id).await?;
    let (destination, person) = match resolve_user(state, destination).await? {
        Ok(resolved) => resolved,
        Err(reason) => return Ok(Err(reason)),
    };
    let subject = Subject {
        event_type: task.event.event_type,
        incident,
    };
    let hold = match window_effect(&windows, &subject, now) {
        WindowEffect::Pass => person.as_ref().map_or(Hold::Pass, |(name, preferences)| {
            preference_effect(name, preferences, incident, now)
        }),
        WindowEffect::Drop { window } => {
            Hold::Drop(format!("dropped by maintenance window `{window}`"))
        }
        WindowEffect::Suppress { window, until } => Hold::Until(
            format!("suppressed by maintenance window `{window}`"),
            until,
        ),
    };
    Ok(Ok((destination, hold)))
}

/// Puts `task` back to be looked at again at `until` (SQS waits at most 15 minutes: a longer
/// hold sees the task come back and held again, until it is over).
pub(super) async fn defer_until(
    state: &AppState,
    task: &NotifyTask,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let later = NotifyTask {
        released_from_window: true,
        ..task.clone()
    };
    let wait = (until - now).to_std().unwrap_or_default() + Duration::from_secs(1);
    state.notifications.enqueue_after(&later, wait).await?;
    Ok(())
}
