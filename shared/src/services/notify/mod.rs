//! Notifications: routing an incident event to destinations (in `fanout`), and sending one
//! (in `notify`) so that it is never doubled (the notification log is claimed with a conditional
//! write before anything is sent) and never lost (failures retry with back-off, then wait in the
//! dead-letter queue; every attempt is in the ledger).

mod flood;
mod holds;
mod manual_ticket;
mod routing;
mod test_send;

pub use flood::FLOOD_LIMIT;
pub use holds::resolve_user;
pub use manual_ticket::{link_ticket, open_ticket_now, ticket_named, tickets_of, ManualTicket};
pub use routing::route_event;
pub use test_send::{send_test, TestOutcome};

use super::ServiceError;
use crate::domain::notification::TicketStep;
use crate::domain::notification::{
    verdict, Destination, LogEntry, NotificationRecord, NotificationStatus, Verdict,
};
use crate::domain::{DomainEvent, NotificationId};
use crate::notify::{deliver, Channels, Continuing, Delivered, Notice, SendFailure, Shown};
use crate::queue::NotifyTask;
use crate::store::{StoreError, Window};
use crate::views::IncidentView;
use crate::AppState;
use flood::{flood_counter, fold, send_flood_summary};
use holds::{defer_until, hold_for, Hold};
use std::time::Duration;

/// How long a claim on the notification log holds (a sender that died frees it after this).
const CLAIM_LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// The waits between attempts; a provider's `Retry-After` wins when longer.
const BACKOFF_SECS: [u64; 6] = [10, 30, 60, 120, 300, 600];
/// Attempts before a notification is parked in the dead-letter queue.
pub const MAX_ATTEMPTS: u32 = BACKOFF_SECS.len() as u32 + 1;
/// How long to wait when another sender holds the log, or the channel is busy this second.
const BUSY_WAIT: Duration = Duration::from_secs(2);

/// The incident an event carries, if it is about one.
fn incident_of(event: &DomainEvent) -> Option<IncidentView> {
    serde_json::from_value(event.data.clone()).ok()
}

/// What became of one task, for logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyOutcome {
    /// Sent (or accepted).
    Sent,
    /// Not sent, on purpose.
    Held(String),
    /// Folded into the destination's flood summary.
    Folded,
    /// Put back to be tried later (busy, or a retryable failure).
    Later,
    /// Failed for good; in the dead-letter queue.
    Failed,
}

/// A tenant's destination, from this container's cache when it read it lately (15 s).
pub(crate) async fn cached_destination(
    state: &AppState,
    tenant: &crate::domain::TenantId,
    id: &crate::domain::DestinationId,
) -> Result<Option<Destination>, crate::store::StoreError> {
    if let Some(destination) = state.destinations.get(id) {
        if &destination.tenant_id == tenant {
            return Ok(Some(destination));
        }
    }
    let found = state.store.get_destination(tenant, id).await?;
    if let Some(destination) = &found {
        state
            .destinations
            .insert(destination.id.clone(), destination.clone());
    }
    Ok(found)
}

/// Sends one notification task (see the module documentation).
pub async fn notify(state: &AppState, task: &NotifyTask) -> Result<NotifyOutcome, ServiceError> {
    if let Some(start) = task.flood_summary_of {
        return send_flood_summary(state, task, start).await;
    }
    let store = &state.store;
    let tenant = &task.tenant_id;
    let now = state.clock.now();
    let Some(mut incident) = incident_of(&task.event) else {
        return Err(ServiceError::Malformed(
            "the event carries no incident".into(),
        ));
    };
    let held = |reason: String| async move {
        record(
            state,
            task,
            NotificationStatus::Held,
            reason.clone(),
            None,
            None,
        )
        .await?;
        Ok::<_, ServiceError>(NotifyOutcome::Held(reason))
    };
    let destination = match cached_destination(state, &task.tenant_id, &task.destination_id).await?
    {
        Some(d) if d.enabled => d,
        Some(_) => return held("the destination is disabled".into()).await,
        None => return held("the destination was deleted".into()).await,
    };
    let incident_id = crate::domain::IncidentId::parse(&incident.id)
        .ok_or_else(|| ServiceError::Malformed(format!("incident id `{}`", incident.id)))?;
    if task.released_from_window {
        // Held through a maintenance window: what counts is the incident as it is now.
        if let Some(current) = store.get_incident(tenant, &incident_id).await? {
            incident = IncidentView::from(&current);
        }
    }
    let entry = store
        .get_log_entry(tenant, &incident_id, &destination.id)
        .await?;
    // A ticket or page that stands for the incident is always closed when it resolves: no
    // maintenance window or quiet hour keeps a page open; nor does one hold what a person asked
    // for by hand.
    let closing_ticket = incident.status == crate::domain::IncidentStatus::Resolved
        && entry.as_ref().is_some_and(|e| e.ticket.is_some());
    let (destination, hold) = if closing_ticket || task.by_hand {
        (destination, Hold::Pass)
    } else {
        match hold_for(state, task, destination, &incident, now).await? {
            Ok(found) => found,
            Err(reason) => return held(reason).await,
        }
    };
    match hold {
        Hold::Pass => {}
        Hold::Drop(reason) => return held(reason).await,
        Hold::Until(why, until) => {
            defer_until(state, task, until, now).await?;
            if task.released_from_window {
                return Ok(NotifyOutcome::Later);
            }
            let until = until.to_rfc3339();
            return held(format!("{why} until {until}: looked at again then")).await;
        }
    }
    if let Some(entry) = &entry {
        if entry.incident_updated_at > incident.updated_at {
            return held("stale: newer news about the incident was already sent".into()).await;
        }
    }
    let shown = entry.as_ref().map(|e| Shown {
        status: e.status,
        severity: e.severity,
        occurrences: e.occurrences,
    });
    let notice = Notice::new(incident, shown, state.config.public_url.as_deref());
    let hash = notice.content_hash();
    let last = entry.as_ref().map(LogEntry::last_sent);
    // A ticket destination told nothing yet about an incident that resolved may still have a
    // ticket an interrupted attempt opened: the claim below says whether to look for it.
    let closing_unrecorded = destination.target.keeps_tickets()
        && entry.is_none()
        && notice.incident.status == crate::domain::IncidentStatus::Resolved;
    let verdict = verdict(&notice.incident, &hash, last.as_ref(), task.throttle, now);
    if let (Verdict::Hold(reason), false) = (verdict, closing_unrecorded) {
        let resolved_meanwhile = task.released_from_window
            && notice.incident.status == crate::domain::IncidentStatus::Resolved;
        return held(if resolved_meanwhile {
            "resolved while it was held (maintenance window or quiet hours)".into()
        } else {
            reason.to_owned()
        })
        .await;
    }
    let mut step = destination.target.keeps_tickets().then(|| {
        TicketStep::between(
            entry.as_ref().map(|e| (e.status, e.severity)),
            notice.incident.status,
            notice.incident.severity,
        )
    });
    if step == Some(TicketStep::Nothing) && !closing_unrecorded {
        return held("nothing a ticket needs: only occurrences or details changed".into()).await;
    }
    let echo = task.event.origin.as_ref() == Some(&destination.id);
    let claim_id = NotificationId::generate().to_string();
    let seen_version = entry.as_ref().map_or(0, |e| e.version);
    let recover = match store
        .claim_log_entry(
            tenant,
            &incident_id,
            &destination.id,
            seen_version,
            &claim_id,
            now,
            now + CLAIM_LEASE,
        )
        .await
    {
        Ok(recover) => recover,
        Err(StoreError::Conflict) => {
            // Another sender is telling this destination about this incident, or just did:
            // look again shortly (its message may already say everything this one would).
            state.notifications.enqueue_after(task, BUSY_WAIT).await?;
            return Ok(NotifyOutcome::Later);
        }
        Err(other) => return Err(other.into()),
    };
    if closing_unrecorded {
        if !recover {
            store
                .release_log_claim(tenant, &incident_id, &destination.id, &claim_id, false)
                .await?;
            return held("resolved before anything was sent about it".into()).await;
        }
        step = Some(TicketStep::Resolve);
    }
    let remote = entry.as_ref().and_then(|e| e.remote.clone());
    let ticket = entry.as_ref().and_then(|e| e.ticket.clone());
    let sent = if echo {
        // The change came from this destination: it already shows it. The log notes it, so
        // nothing is sent back.
        let mut delivered =
            Delivered::of("not sent back: the change came from this destination", None);
        delivered.ticket = ticket.clone();
        Ok(delivered)
    } else {
        let continuing = Continuing {
            remote: remote.as_ref(),
            ticket: ticket.as_ref(),
            step,
            recover,
        };
        if let Some(outcome) = pace(state, task, &destination, &incident_id, &claim_id, now).await?
        {
            return Ok(outcome);
        }
        let secret = open_secret(state, &destination).await?;
        let message_id = format!("<{}.{}@faultline>", claim_id, destination.id);
        deliver(
            &channels(state),
            &destination,
            secret.as_deref(),
            &notice,
            continuing,
            &message_id,
        )
        .await
    };
    match sent {
        Ok(delivered) => {
            let next = LogEntry {
                tenant_id: tenant.clone(),
                incident_id: incident_id.clone(),
                destination_id: destination.id.clone(),
                status: notice.incident.status,
                severity: notice.incident.severity,
                occurrences: notice.incident.occurrences,
                content_hash: hash,
                incident_updated_at: notice.incident.updated_at,
                remote: delivered.remote.clone().or(remote),
                ticket: delivered.ticket.clone().or(ticket),
                sent_at: now,
                messages: entry.as_ref().map_or(0, |e| e.messages) + u32::from(!echo),
                version: seen_version + 1,
            };
            if let Err(err) = store.record_log_entry(&next, &claim_id).await {
                tracing::warn!(error = %err, "sent, but the notification log could not record it");
            }
            if echo {
                let reason = delivered.action.to_owned();
                record(state, task, NotificationStatus::Held, reason, None, None).await?;
                return Ok(NotifyOutcome::Held(delivered.action.to_owned()));
            }
            record_delivered(state, task, &delivered, delivered.action.to_owned()).await?;
            Ok(NotifyOutcome::Sent)
        }
        Err(failure) => {
            store
                .release_log_claim(
                    tenant,
                    &incident_id,
                    &destination.id,
                    &claim_id,
                    failure.retryable,
                )
                .await?;
            fail(state, task, failure).await
        }
    }
}

/// Paces the destination (one write, see below) once the claim is held: `Some` when this task
/// must wait or was folded into the flood summary (the claim released), `None` to send now.
async fn pace(
    state: &AppState,
    task: &NotifyTask,
    destination: &Destination,
    incident_id: &crate::domain::IncidentId,
    claim_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<NotifyOutcome>, ServiceError> {
    let store = &state.store;
    let tenant = &task.tenant_id;
    // One write paces the destination to one message a second (Slack's limit per channel; the
    // rest wait a moment on the queue) and counts its minute for flood protection.
    let minute = Window::containing(now.timestamp(), 60);
    let Some(this_minute) = store
        .count_paced(&flood_counter(destination), minute, now.timestamp())
        .await?
    else {
        store
            .release_log_claim(tenant, incident_id, &destination.id, claim_id, false)
            .await?;
        state.notifications.enqueue_after(task, BUSY_WAIT).await?;
        return Ok(Some(NotifyOutcome::Later));
    };
    // Tickets are not folded: every incident keeps its own, and a resolve always goes through.
    if this_minute > FLOOD_LIMIT && !destination.target.keeps_tickets() {
        store
            .release_log_claim(tenant, incident_id, &destination.id, claim_id, false)
            .await?;
        return fold(state, task, minute, this_minute, now).await.map(Some);
    }
    Ok(None)
}

/// The clients and settings the notifiers use.
pub fn channels(state: &AppState) -> Channels<'_> {
    Channels {
        sender: state.sender(),
        ses: &state.ses,
        slack_api: &state.config.slack_api_url,
        pagerduty_events: &state.config.pagerduty_events_url,
        email_from: state.config.email_from.as_deref(),
        url_policy: state.config.url_policy(),
    }
}

/// The destination's credential, opened (none for email).
pub async fn open_secret(
    state: &AppState,
    destination: &Destination,
) -> Result<Option<String>, ServiceError> {
    let Some((sealed, _)) = destination.target.secret() else {
        return Ok(None);
    };
    let cipher = state
        .cipher()
        .await
        .map_err(|e| ServiceError::Secrets(e.to_string()))?;
    cipher
        .open(sealed, &destination.secret_context())
        .map(Some)
        .map_err(|e| ServiceError::Secrets(e.to_string()))
}

/// A failed send: tried again later when it can help and attempts remain, otherwise parked in
/// the dead-letter queue.
async fn fail(
    state: &AppState,
    task: &NotifyTask,
    failure: SendFailure,
) -> Result<NotifyOutcome, ServiceError> {
    let index = usize::try_from(task.attempt.saturating_sub(1)).unwrap_or(usize::MAX);
    let backoff = BACKOFF_SECS.get(index).map(|s| Duration::from_secs(*s));
    match backoff.filter(|_| failure.retryable) {
        Some(wait) => {
            let wait = failure.retry_after.map_or(wait, |asked| asked.max(wait));
            let next = NotifyTask {
                attempt: task.attempt + 1,
                ..task.clone()
            };
            state.notifications.enqueue_after(&next, wait).await?;
            let detail = format!("{} (next attempt in {} s)", failure.reason, wait.as_secs());
            record(
                state,
                task,
                NotificationStatus::Retrying,
                detail,
                failure.status_code,
                failure.latency_ms,
            )
            .await?;
            Ok(NotifyOutcome::Later)
        }
        None => {
            state.notifications.dead_letter(task).await?;
            record(
                state,
                task,
                NotificationStatus::Failed,
                failure.reason,
                failure.status_code,
                failure.latency_ms,
            )
            .await?;
            Ok(NotifyOutcome::Failed)
        }
    }
}

async fn record_delivered(
    state: &AppState,
    task: &NotifyTask,
    delivered: &Delivered,
    detail: String,
) -> Result<(), ServiceError> {
    let (code, latency) = (delivered.status_code, delivered.latency_ms);
    record(state, task, delivered.status(), detail, code, latency).await
}

async fn record(
    state: &AppState,
    task: &NotifyTask,
    status: NotificationStatus,
    detail: String,
    status_code: Option<u16>,
    latency_ms: Option<u64>,
) -> Result<(), ServiceError> {
    let incident_id = task.event.data["id"]
        .as_str()
        .and_then(crate::domain::IncidentId::parse);
    let record = NotificationRecord {
        id: NotificationId::generate(),
        tenant_id: task.tenant_id.clone(),
        incident_id,
        destination_id: task.destination_id.clone(),
        rule_id: task.rule_id.clone(),
        event_id: Some(task.event.id.clone()),
        event_type: Some(task.event.event_type),
        status,
        detail,
        attempt: task.attempt,
        status_code,
        latency_ms,
        created_at: state.clock.now(),
    };
    state.store.record_notification(&record).await?;
    Ok(())
}
