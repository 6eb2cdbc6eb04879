//! One delivery task: claim the attempt, POST the signed message, record the attempt, and either
//! finish, schedule the next attempt, or mark the delivery exhausted.

use super::ServiceError;
use crate::domain::{
    parse_retry_after, Attempt, AttemptOutcome, DeliveryStatus, DeliveryTask, DomainEvent,
    Endpoint, EventType, Failure, FailureClass, Message, RetrySchedule,
};
use crate::signing::WebhookSecret;
use crate::sinks::webhook::{DeliveryResult, OutgoingWebhook};
use crate::store::{AttemptClaim, DeliveryRecord, HealthChange};
use crate::views::{event_data, AttemptView};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

mod lookups;
mod status_sets;

pub use lookups::BatchLookups;
pub use status_sets::index_outcomes;

/// What a dispatch did with its task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DispatchOutcome {
    /// 2xx.
    Delivered,
    /// Failed; attempt `next_attempt` is scheduled at `at`.
    RetryScheduled {
        /// The attempt number scheduled.
        next_attempt: u32,
        /// When it is due.
        at: DateTime<Utc>,
    },
    /// Failed for the last time.
    Exhausted,
    /// Arrived before `not_before` (a long delay cut by SQS's 15-minute cap): re-queued.
    Hopped,
    /// A duplicate of an attempt already made: nothing sent.
    Duplicate,
    /// The endpoint's rate limit was reached this second: re-queued for the next, not dropped.
    Deferred,
    /// Nothing to deliver (endpoint deleted or disabled, message gone).
    Skipped(&'static str),
}

impl DispatchOutcome {
    /// The `Outcome` dimension of the `Deliveries` metric.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::RetryScheduled { .. } => "retry_scheduled",
            Self::Exhausted => "exhausted",
            Self::Hopped => "hopped",
            Self::Duplicate => "duplicate",
            Self::Deferred => "deferred",
            Self::Skipped(_) => "skipped",
        }
    }
}

/// A claim older than this belongs to a dispatcher that died mid-attempt and may be taken over:
/// longer than the 15 s send timeout plus the ledger writes.
pub const ATTEMPT_LEASE: Duration = Duration::seconds(60);

/// Runs one delivery task.
pub async fn dispatch(
    state: &AppState,
    task: &DeliveryTask,
) -> Result<DispatchOutcome, ServiceError> {
    let outcome = dispatch_with(state, task, &BatchLookups::default()).await?;
    let failed = index_outcomes(state, &[(task.clone(), outcome.clone())]).await;
    match failed.first() {
        Some(_) => Err(ServiceError::Busy("message status sets not updated".into())),
        None => Ok(outcome),
    }
}

/// Runs one delivery task of a batch whose endpoints and messages were read up front.
pub async fn dispatch_with(
    state: &AppState,
    task: &DeliveryTask,
    lookups: &BatchLookups,
) -> Result<DispatchOutcome, ServiceError> {
    let now = state.clock.now();
    if task.not_before > now {
        let wait = (task.not_before - now).to_std().unwrap_or_default();
        state.deliveries.enqueue_after(task, wait).await?;
        return Ok(DispatchOutcome::Hopped);
    }
    let tenant = &task.tenant_id;
    let Some(endpoint) = lookups.endpoint(state, task).await? else {
        tracing::info!(endpoint_id = %task.endpoint_id, message_id = %task.message_id, "endpoint deleted; delivery dropped");
        return Ok(DispatchOutcome::Skipped("endpoint deleted"));
    };
    if !endpoint.enabled {
        tracing::info!(endpoint_id = %endpoint.id, message_id = %task.message_id, "endpoint disabled; delivery left pending");
        return Ok(DispatchOutcome::Skipped("endpoint disabled"));
    }
    let Some(message) = lookups.message(state, task).await? else {
        tracing::error!(message_id = %task.message_id, "delivery task for a message that was never stored");
        return Ok(DispatchOutcome::Skipped("message missing"));
    };

    if let Some(limit) = endpoint.rate_limit {
        if !state
            .store
            .take_send_slot(tenant, &endpoint.id, limit, now)
            .await?
        {
            // Spread the excess over the next seconds instead of retrying in lockstep.
            let spread = Duration::milliseconds(1000 + rand::random_range(0..1000));
            state
                .deliveries
                .enqueue_after(
                    &DeliveryTask {
                        not_before: now + spread,
                        ..task.clone()
                    },
                    spread.to_std().unwrap_or_default(),
                )
                .await?;
            return Ok(DispatchOutcome::Deferred);
        }
    }
    let claim = Attempt::in_flight(
        message.id.clone(),
        endpoint.id.clone(),
        task.attempt,
        endpoint.url.clone(),
        now,
    );
    match state
        .store
        .claim_attempt(tenant, &claim, now + ATTEMPT_LEASE, now)
        .await?
    {
        AttemptClaim::Claimed => {}
        AttemptClaim::AlreadyMade(made) => {
            // The task was delivered twice. If the attempt failed and its successor is not marked
            // queued, queue it (the first run may have died before queueing it); the successor's
            // own claim absorbs any duplicate this creates.
            if let (AttemptOutcome::Failed, Some(at), false) =
                (made.outcome, made.next_attempt_at, made.successor_queued)
            {
                enqueue_successor(state, task, &made, at, now).await?;
            }
            // The delivery record is the truth (written with the attempt): bring the message's
            // status sets in line with it, in case the first run died before updating them.
            if let Some(record) = state
                .store
                .get_delivery(tenant, &message.id, &endpoint.id)
                .await?
            {
                state
                    .store
                    .index_delivery_status(
                        tenant,
                        &message.id,
                        std::slice::from_ref(&endpoint.id),
                        record.status,
                    )
                    .await?;
            }
            return Ok(DispatchOutcome::Duplicate);
        }
        AttemptClaim::InFlightElsewhere => {
            return Err(ServiceError::Busy(format!(
                "attempt {} of {} to {} is in flight elsewhere",
                task.attempt, message.id, endpoint.id
            )))
        }
    }

    let result = if message.body_bytes > state.config.max_payload_bytes {
        DeliveryResult::not_sent(Failure::PayloadTooLarge {
            bytes: message.body_bytes,
            limit: state.config.max_payload_bytes,
        })
    } else {
        send(state, &endpoint, &message, now).await?
    };
    let schedule = message.retry_schedule_or(&state.config.retry_schedule);
    record_result(state, task, &endpoint, claim, result, &schedule, now).await
}

async fn send(
    state: &AppState,
    endpoint: &Endpoint,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<DeliveryResult, ServiceError> {
    let policy = state.config.url_policy();
    if let Err(reason) = policy.check(&endpoint.url) {
        return Ok(DeliveryResult::not_sent(Failure::Refused(format!(
            "endpoint URL refused: {reason}"
        ))));
    }
    let cipher = state
        .cipher()
        .await
        .map_err(|e| ServiceError::Secrets(e.to_string()))?;
    let context = endpoint.secret_context();
    let secrets = endpoint
        .signing_secrets(now)
        .into_iter()
        .map(|sealed| {
            cipher
                .open(sealed, &context)
                .map(|text| WebhookSecret::parse(&text))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Secrets(e.to_string()))?;
    let headers = endpoint
        .open_headers(&cipher)
        .map_err(|e| ServiceError::Secrets(e.to_string()))?;
    Ok(state
        .sender()
        .send(OutgoingWebhook {
            url: &endpoint.url,
            msg_id: message.id.as_str(),
            timestamp: now.timestamp(),
            body: &message.body,
            headers: &headers,
            secrets: &secrets,
        })
        .await)
}

pub use crate::domain::failure::PAYLOAD_TOO_LARGE;

/// When to try again after `failure` on attempt number `attempt`, or `None` for no retry: the
/// schedule's delay, `Retry-After` honoured for throttling (clamped), gone endpoints and messages
/// over the payload limit not retried.
pub fn next_attempt_at(
    schedule: &RetrySchedule,
    attempt: u32,
    failure: &Failure,
    retry_after: Option<&str>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let retry_after = retry_after.and_then(|v| parse_retry_after(v, now));
    schedule
        .delay_after_failure(attempt, failure.class(), retry_after)
        .map(|delay| {
            Duration::from_std(delay)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        })
}

/// Attempts after which a still-failing message is reported with `message.attempt.failing`.
pub const FAILING_AFTER_ATTEMPTS: u32 = 4;

async fn record_result(
    state: &AppState,
    task: &DeliveryTask,
    endpoint: &Endpoint,
    mut attempt: Attempt,
    result: DeliveryResult,
    schedule: &RetrySchedule,
    now: DateTime<Utc>,
) -> Result<DispatchOutcome, ServiceError> {
    let succeeded = result.succeeded();
    let class = result.failure.as_ref().map(Failure::class);
    let next_at = result.failure.as_ref().and_then(|failure| {
        next_attempt_at(
            schedule,
            task.attempt,
            failure,
            result.retry_after.as_deref(),
            now,
        )
    });
    attempt.outcome = if succeeded {
        AttemptOutcome::Succeeded
    } else {
        AttemptOutcome::Failed
    };
    attempt.status_code = result.status_code;
    attempt.latency_ms = result.latency_ms;
    attempt.response_excerpt = result.response_excerpt;
    attempt.error = result.failure.as_ref().map(Failure::describe);
    attempt.error_kind = result.failure.as_ref().map(|f| f.kind().to_owned());
    attempt.next_attempt_at = next_at;

    let (status, outcome) = match next_at {
        _ if succeeded => (DeliveryStatus::Succeeded, DispatchOutcome::Delivered),
        Some(at) => (
            DeliveryStatus::Failed,
            DispatchOutcome::RetryScheduled {
                next_attempt: task.attempt + 1,
                at,
            },
        ),
        None => (DeliveryStatus::Exhausted, DispatchOutcome::Exhausted),
    };
    let record = DeliveryRecord {
        message_id: task.message_id.clone(),
        endpoint_id: task.endpoint_id.clone(),
        status,
        attempts: task.attempt,
        next_attempt_at: next_at,
        updated_at: now,
    };
    // The message's status sets follow in `index_outcomes`, once per message for a whole batch.
    state
        .store
        .record_attempt_result(&task.tenant_id, &attempt, &record)
        .await?;
    if let Some(at) = next_at {
        enqueue_successor(state, task, &attempt, at, now).await?;
    }
    report(state, task, endpoint, &attempt, &outcome, class, now).await?;
    crate::metrics::Observation::new(&[("Result", if succeeded { "succeeded" } else { "failed" })])
        .millis("AttemptLatency", attempt.latency_ms)
        .emit();
    tracing::info!(
        message_id = %task.message_id,
        endpoint_id = %task.endpoint_id,
        attempt = task.attempt,
        status_code = attempt.status_code,
        latency_ms = attempt.latency_ms,
        outcome = ?outcome,
        "delivery attempt recorded"
    );
    Ok(outcome)
}

/// Endpoint health and the operational events: `endpoint.disabled` (410 Gone, or failing for
/// longer than the configured period), `endpoint.recovered`, `message.attempt.failing` (after the
/// fourth failure) and `message.attempt.exhausted`. Parked in the outbox, then published.
async fn report(
    state: &AppState,
    task: &DeliveryTask,
    endpoint: &Endpoint,
    attempt: &Attempt,
    outcome: &DispatchOutcome,
    class: Option<FailureClass>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let tenant = &task.tenant_id;
    let health = if *outcome == DispatchOutcome::Delivered {
        // Only an endpoint in a failing streak has anything to recover from: no write otherwise.
        if endpoint.failing_since.is_some() {
            state
                .store
                .record_endpoint_success(tenant, &task.endpoint_id)
                .await?
        } else {
            HealthChange::None
        }
    } else if class == Some(FailureClass::Permanent) {
        // Not the endpoint's fault: its health is left as it was.
        HealthChange::None
    } else {
        let gone = (class == Some(FailureClass::Gone)).then_some("the endpoint answered 410 Gone");
        state
            .store
            .record_endpoint_failure(
                tenant,
                &task.endpoint_id,
                now,
                state.config.disable_failing_after,
                gone,
            )
            .await?
    };
    let about = json!({"message_id": task.message_id, "endpoint_id": task.endpoint_id, "attempt": event_data(&AttemptView::from(attempt))});
    let mut events = Vec::new();
    let mut emit =
        |event_type, data| events.push(DomainEvent::new(tenant.clone(), event_type, data, now));
    match health {
        HealthChange::Disabled(reason) => emit(
            EventType::EndpointDisabled,
            json!({"endpoint_id": task.endpoint_id, "reason": reason, "last_attempt": event_data(&AttemptView::from(attempt))}),
        ),
        HealthChange::Recovered => emit(
            EventType::EndpointRecovered,
            json!({"endpoint_id": task.endpoint_id}),
        ),
        HealthChange::None => {}
    }
    match outcome {
        DispatchOutcome::Exhausted => emit(EventType::MessageAttemptExhausted, about),
        DispatchOutcome::RetryScheduled { .. } if task.attempt == FAILING_AFTER_ATTEMPTS => {
            emit(EventType::MessageAttemptFailing, about)
        }
        _ => {}
    }
    state.store.park_events(&events).await?;
    Ok(())
}

/// Queues the attempt after `made` (due `at`), then marks `made`'s successor queued. Without
/// the mark, every duplicate of a failed attempt's task queued one more successor, and each of
/// those, handed over twice in turn, queued more. A mark that cannot be written is only logged:
/// a duplicate then queues the successor again, and the successor's claim absorbs it.
async fn enqueue_successor(
    state: &AppState,
    task: &DeliveryTask,
    made: &Attempt,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let next = DeliveryTask {
        attempt: task.attempt + 1,
        not_before: at,
        ..task.clone()
    };
    let wait = (at - now).to_std().unwrap_or_default();
    state.deliveries.enqueue_after(&next, wait).await?;
    if let Err(error) = state
        .store
        .mark_successor_queued(&task.tenant_id, made)
        .await
    {
        tracing::warn!(%error, message_id = %task.message_id, endpoint_id = %task.endpoint_id, attempt = task.attempt, "successor queued but not marked");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    /// The next attempt's delay from `now`, in seconds (jitter is ±20 %).
    fn delay(
        schedule: &RetrySchedule,
        attempt: u32,
        failure: Failure,
        retry_after: Option<&str>,
    ) -> Option<i64> {
        next_attempt_at(schedule, attempt, &failure, retry_after, at(0))
            .map(|t| (t - at(0)).num_seconds())
    }

    #[test]
    fn the_retry_decision_follows_the_failure() {
        let schedule = RetrySchedule::from_secs(&[100, 1000]);
        let other = delay(&schedule, 1, Failure::Status(500), None).expect("retried");
        assert!((80..=120).contains(&other), "{other}");
        assert_eq!(
            delay(&schedule, 1, Failure::Status(410), None),
            None,
            "gone: no retry"
        );
        assert_eq!(
            delay(
                &schedule,
                1,
                Failure::PayloadTooLarge { bytes: 2, limit: 1 },
                None
            ),
            None,
            "over the limit: exhausted at once"
        );
        assert_eq!(
            delay(&schedule, 3, Failure::Connect, None),
            None,
            "schedule used up"
        );
        let throttled = delay(&schedule, 1, Failure::Status(429), Some("150")).expect("retried");
        assert_eq!(throttled, 150, "Retry-After honoured");
        let clamped = delay(&schedule, 1, Failure::Status(503), Some("99999")).expect("retried");
        assert!(
            (160..=240).contains(&clamped),
            "clamped to twice the delay: {clamped}"
        );
        let timeout =
            delay(&schedule, 1, Failure::Timeout { after_secs: 15 }, None).expect("retried");
        assert!(
            timeout >= 80,
            "a timeout backs off like throttling: {timeout}"
        );
    }
}
