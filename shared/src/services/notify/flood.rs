//! Flood protection: past [`FLOOD_LIMIT`] a minute, a destination's notifications are folded
//! into one summary at the minute's end, never silently dropped.

use super::{
    cached_destination, channels, fail, open_secret, record, record_delivered, NotifyOutcome,
};
use crate::domain::notification::{Destination, NotificationStatus};
use crate::domain::NotificationId;
use crate::notify::{deliver, Notice};
use crate::queue::NotifyTask;
use crate::services::ServiceError;
use crate::store::Window;
use crate::AppState;
use std::time::Duration;

/// Notifications per destination per minute before the rest are folded into one summary.
pub const FLOOD_LIMIT: u64 = 20;

pub(super) fn flood_counter(destination: &Destination) -> String {
    format!("flood:{}", destination.id)
}

/// Folds `task` (the `this_minute`th of its destination's `minute`): the first fold of a minute
/// queues the summary for the minute's end.
pub(super) async fn fold(
    state: &AppState,
    task: &NotifyTask,
    minute: Window,
    this_minute: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NotifyOutcome, ServiceError> {
    if this_minute == FLOOD_LIMIT + 1 {
        let summary = NotifyTask {
            flood_summary_of: Some(minute.number * minute.length_secs),
            attempt: 1,
            ..task.clone()
        };
        let wait = Duration::from_secs(minute.seconds_left(now.timestamp()) + 1);
        state.notifications.enqueue_after(&summary, wait).await?;
    }
    let detail =
        format!("more than {FLOOD_LIMIT} notifications this minute: summed up when it ends");
    record(state, task, NotificationStatus::Folded, detail, None, None).await?;
    Ok(NotifyOutcome::Folded)
}

/// Tells a destination how many notifications were folded in the minute starting at `start`:
/// nothing folded is silently dropped. Retried like any notification.
pub(super) async fn send_flood_summary(
    state: &AppState,
    task: &NotifyTask,
    start: i64,
) -> Result<NotifyOutcome, ServiceError> {
    let Some(destination) =
        cached_destination(state, &task.tenant_id, &task.destination_id).await?
    else {
        return Ok(NotifyOutcome::Held("the destination was deleted".into()));
    };
    let minute = Window::containing(start, 60);
    let folded = state
        .store
        .counted(&flood_counter(&destination), minute)
        .await?
        .saturating_sub(FLOOD_LIMIT);
    let since = chrono::DateTime::from_timestamp(start, 0).unwrap_or_default();
    let public_url = state.config.public_url.as_deref();
    let notice = Notice::flood_summary(folded, since, &destination.id, public_url, FLOOD_LIMIT);
    let secret = open_secret(state, &destination).await?;
    let message_id = format!(
        "<{}.{}@faultline>",
        NotificationId::generate(),
        destination.id
    );
    match deliver(
        &channels(state),
        &destination,
        secret.as_deref(),
        &notice,
        Default::default(),
        &message_id,
    )
    .await
    {
        Ok(delivered) => {
            let detail = format!("flood summary: {folded} folded notifications");
            record_delivered(state, task, &delivered, detail).await?;
            Ok(NotifyOutcome::Sent)
        }
        Err(failure) => fail(state, task, failure).await,
    }
}
