//! `POST /v1/destinations/{id}/test`: a plainly-marked message sent now, its outcome answered and
//! kept in the ledger.

use super::{channels, open_secret, resolve_user};
use crate::domain::notification::{Destination, NotificationRecord, NotificationStatus};
use crate::domain::NotificationId;
use crate::notify::{deliver, test_ticket_destination, Notice, SendFailure};
use crate::services::ServiceError;
use crate::AppState;

/// What a destination test came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestOutcome {
    /// `sent`, `accepted` or `failed`.
    pub status: NotificationStatus,
    /// What was done, or why it failed.
    pub detail: String,
    /// The provider's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// For a failure: whether retrying could help.
    pub retryable: Option<bool>,
}

/// Sends a test message to `destination` now (a person's is email to their address; their
/// preferences do not apply to a test) and records it in the ledger.
pub async fn send_test(
    state: &AppState,
    destination: &Destination,
) -> Result<TestOutcome, ServiceError> {
    let secret = open_secret(state, destination).await?;
    let now = state.clock.now();
    let notice = Notice::test(&destination.name, now);
    let record_id = NotificationId::generate();
    let message_id = format!("<{record_id}.{}@faultline>", destination.id);
    let sent = match resolve_user(state, destination.clone()).await? {
        Ok((sendable, _)) if sendable.target.keeps_tickets() => match secret.as_deref() {
            Some(secret) => {
                test_ticket_destination(&channels(state), &sendable, secret, &notice).await
            }
            None => Err(SendFailure::permanent(
                "the destination's secret is missing",
            )),
        },
        Ok((sendable, _)) => {
            let channels = channels(state);
            deliver(
                &channels,
                &sendable,
                secret.as_deref(),
                &notice,
                Default::default(),
                &message_id,
            )
            .await
        }
        Err(reason) => Err(SendFailure::permanent(reason)),
    };
    let outcome = match sent {
        Ok(delivered) => TestOutcome {
            status: delivered.status(),
            detail: delivered.action.into(),
            status_code: delivered.status_code,
            retryable: None,
        },
        Err(failure) => TestOutcome {
            status: NotificationStatus::Failed,
            detail: failure.reason,
            status_code: failure.status_code,
            retryable: Some(failure.retryable),
        },
    };
    let record = NotificationRecord {
        id: record_id,
        tenant_id: destination.tenant_id.clone(),
        incident_id: None,
        destination_id: destination.id.clone(),
        rule_id: None,
        event_id: None,
        event_type: None,
        status: outcome.status,
        detail: format!("test: {}", outcome.detail),
        attempt: 1,
        status_code: outcome.status_code,
        latency_ms: None,
        created_at: now,
    };
    state.store.record_notification(&record).await?;
    Ok(outcome)
}
