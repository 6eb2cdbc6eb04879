//! Digests: each user who asked for one gets, at their local hour, one email listing the
//! incidents and issues opened in the period (as severe as they asked), then the next is filed.

use super::ServiceError;
use crate::domain::Incident;
use crate::notify::{digest, email};
use crate::store::{DueDigest, IncidentFilters, PageRequest};
use crate::AppState;
use chrono::{DateTime, Utc};

/// The most digests one run sends (the rest wait for the next run).
const PER_RUN: usize = 200;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DigestRun {
    /// Digests sent.
    pub sent: usize,
    /// Index entries dropped: the user changed their schedule, turned digests off, or left.
    pub stale: usize,
    /// Digests that failed to send (left filed: the next run tries again).
    pub failed: usize,
}

/// Sends every digest due at `now` and files each one's successor.
pub async fn send_due_digests(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<DigestRun, ServiceError> {
    let mut run = DigestRun::default();
    for due in state.store.due_digests(now, PER_RUN).await? {
        match send_one(state, &due, now).await {
            Ok(true) => run.sent += 1,
            Ok(false) => run.stale += 1,
            Err(err) => {
                tracing::warn!(error = %err, user_id = %due.user_id, "digest not sent; the next run tries again");
                run.failed += 1;
            }
        }
    }
    Ok(run)
}

/// Sends one digest: `Ok(false)` when the entry was stale and is dropped.
async fn send_one(
    state: &AppState,
    due: &DueDigest,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let store = &state.store;
    let mut stored = store.get_preferences(&due.tenant_id, &due.user_id).await?;
    let user = store.get_user(&due.tenant_id, &due.user_id).await?;
    let (Some(digest), Some(user)) = (stored.preferences.digest.clone(), user.filter(|u| u.active))
    else {
        store.unfile_digest(due).await?;
        return Ok(false);
    };
    if stored.digest_due != Some(due.due) {
        store.unfile_digest(due).await?;
        return Ok(false);
    }
    let since = due.due - digest.period();
    let mut incidents = opened_since(state, due, since).await?;
    if let Some(min) = stored.preferences.min_severity {
        incidents.retain(|i| i.severity <= min);
    }
    let from = state.config.email_from.as_deref().ok_or_else(|| {
        ServiceError::Secrets("email is not configured: set FAULTLINE_EMAIL_FROM".into())
    })?;
    let raw = digest::mime(
        from,
        &user.email,
        &incidents,
        since,
        due.due,
        state.config.public_url.as_deref(),
    )
    .map_err(ServiceError::Malformed)?;
    email::send_raw(&state.ses, from, std::slice::from_ref(&user.email), raw)
        .await
        .map_err(|failure| ServiceError::Queue(crate::queue::QueueError::Sqs(failure.reason)))?;
    let next = digest.next_after(now.max(due.due));
    stored.digest_due = Some(next);
    store
        .put_preferences(&due.tenant_id, &due.user_id, &stored)
        .await?;
    store.unfile_digest(due).await?;
    Ok(true)
}

/// The tenant's incidents and issues opened since `since`, newest first (a bounded read).
async fn opened_since(
    state: &AppState,
    due: &DueDigest,
    since: DateTime<Utc>,
) -> Result<Vec<Incident>, ServiceError> {
    let filters = IncidentFilters {
        since: Some(since),
        until: Some(due.due),
        ..IncidentFilters::default()
    };
    let mut page = PageRequest {
        limit: Some(PageRequest::MAX_LIMIT),
        cursor: None,
    };
    let mut all = Vec::new();
    loop {
        let found = state
            .store
            .list_incidents_filtered(&due.tenant_id, &filters, &page)
            .await?;
        all.extend(found.items);
        match found.next_cursor {
            Some(cursor) if all.len() < 5 * digest::MAX_LISTED => page.cursor = Some(cursor),
            _ => return Ok(all),
        }
    }
}
