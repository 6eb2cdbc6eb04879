//! The inbound pipeline every provider shares. Order matters: find the integration, bound the
//! body, verify the exact bytes, interpret, keep the request, then change state together with the
//! delivery's receipt (its record and dedup keys, in the same transaction as its first change) —
//! so bad input changes nothing, a redelivery changes nothing, and anything accepted is on record
//! (and replayable) exactly when it was applied.

use super::deploys::record_deploy;
use super::ingest::{ingest_received, IngestChange};
use super::slack_commands::run_slash_command;
use super::ticket_sync::apply_ticket_change;
use crate::archive::RawRequest;
use crate::domain::incident::Change;
use crate::domain::{DeliveryId, Integration, IntegrationId, TenantId};
use crate::signing::SignatureError;
use crate::sources::{
    source_for, Headers, Interpretation, ReplyStatus, SignedRequest, SourceError, WebhookSource,
};
use crate::store::{InboundDelivery, Receipt, StoreError};
use crate::AppState;
use chrono::Duration;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// How long a provider's delivery id is remembered.
pub const DEDUP_WINDOW: Duration = Duration::days(7);

/// One delivery as it arrived, in the core's terms (the edge has bounded the body).
#[derive(Clone, Debug)]
pub struct InboundRequest {
    /// The integration the URL names (`int_…`), unchecked.
    pub integration_id: String,
    /// The request headers.
    pub headers: Headers,
    /// The exact body bytes.
    pub body: Vec<u8>,
    /// The edge's request id, for the logs.
    pub request_id: String,
}

/// What became of an inbound delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum InboundOutcome {
    /// Answered at once, nothing kept (a ping, a URL check, a slash command, an event not used).
    Replied {
        /// How to answer.
        status: ReplyStatus,
        /// The answer.
        body: Value,
    },
    /// Archived and applied: what was done.
    Accepted(Value),
    /// Already received (same provider delivery id): nothing done.
    Duplicate(Value),
}

/// Why a delivery was refused or failed; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// No such integration for this source.
    #[error("{0}")]
    NotFound(String),
    /// The signature does not verify.
    #[error(transparent)]
    Unauthorized(#[from] SignatureError),
    /// The payload cannot be used.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A dependency is down; the provider should retry.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or stored data that does not open.
    #[error("{0}")]
    Internal(String),
    /// The integration, or its tenant, took its allowance of webhooks this minute.
    #[error("{detail}")]
    RateLimited {
        /// Which limit: `inbound_per_integration_per_minute` or `inbound_per_tenant_per_minute`.
        limit: &'static str,
        /// Its value.
        value: u32,
        /// Seconds until the next minute.
        retry_after: u64,
        /// What happened.
        detail: String,
    },
}

/// Counts one inbound webhook against the integration's and its tenant's per-minute allowances
/// (tenant settings, with defaults) in one write — one counter per tenant and minute, with a part
/// per integration — so one integration's or tenant's flood is refused on its own counters and
/// does not use up the capacity every other tenant's deliveries share (nor an integration's its
/// tenant's: a webhook over the integration's allowance is not counted).
async fn count_inbound(state: &AppState, integration: &Integration) -> Result<(), InboundError> {
    use crate::domain::TenantSettings;
    let settings = state
        .authenticator
        .tenant_settings(&integration.tenant_id)
        .await?;
    let now = state.clock.now().timestamp();
    let window = crate::store::Window::containing(now, 60);
    let per_integration = settings
        .inbound_rate_limit_per_minute
        .unwrap_or(TenantSettings::DEFAULT_INBOUND_PER_INTEGRATION);
    let per_tenant = settings
        .tenant_inbound_rate_limit_per_minute
        .unwrap_or(TenantSettings::DEFAULT_INBOUND_PER_TENANT);
    let counted = state
        .store
        .count_with_part(
            &format!("inbound#{}", integration.tenant_id),
            integration.id.as_str(),
            u64::from(per_integration),
            window,
        )
        .await?;
    let refused = |limit, value, whose: &str| InboundError::RateLimited {
        limit,
        value,
        retry_after: window.seconds_left(now),
        detail: format!(
            "{whose} accepted its {value} webhooks of this minute; retry after the minute ends"
        ),
    };
    match counted {
        None => Err(refused(
            "inbound_per_integration_per_minute",
            per_integration,
            "this integration",
        )),
        Some(tenant_count) if tenant_count > u64::from(per_tenant) => Err(refused(
            "inbound_per_tenant_per_minute",
            per_tenant,
            "this tenant's integrations",
        )),
        Some(_) => Ok(()),
    }
}

/// The integration the URL names, from the container's cache when it was read recently
/// (integrations do not change once created, so a cached one is the stored one).
async fn load_integration(
    state: &AppState,
    raw_id: &str,
    source: &dyn WebhookSource,
) -> Result<Integration, InboundError> {
    let what = format!("{} integration", source.source().as_str());
    let not_found = || InboundError::NotFound(format!("no {what} with id `{raw_id}`"));
    let id = IntegrationId::parse(raw_id).ok_or_else(not_found)?;
    let integration = match state.integrations.get(&id) {
        Some(cached) => Some(cached),
        None => {
            let stored = state.store.get_integration(&id).await?;
            if let Some(integration) = &stored {
                state.integrations.insert(id, integration.clone());
            }
            stored
        }
    };
    match integration {
        Some(integration) if integration.source == source.source() => Ok(integration),
        _ => Err(not_found()),
    }
}

/// Receives one webhook for `source` at `POST /v1/hooks/<source>/{integration_id}`.
pub async fn receive(
    state: &AppState,
    request: &InboundRequest,
    source: &dyn WebhookSource,
) -> Result<InboundOutcome, InboundError> {
    let integration = load_integration(state, &request.integration_id, source).await?;
    // Refused by its rate limit: not counted again here (the limiter's counters hold those).
    count_inbound(state, &integration).await?;
    let outcome = process(state, request, source, &integration).await;
    let result = match &outcome {
        Ok(InboundOutcome::Accepted(_)) => "accepted",
        Ok(InboundOutcome::Duplicate(_)) => "duplicate",
        Ok(InboundOutcome::Replied { .. }) => "replied",
        Err(InboundError::Unauthorized(_)) => "refused_signature",
        Err(InboundError::Source(_)) => "refused_invalid",
        Err(_) => "failed",
    };
    // Statistics never fail a delivery.
    if let Err(err) = state
        .store
        .count_inbound_result(
            &integration.tenant_id,
            &integration.id,
            result,
            state.clock.now(),
        )
        .await
    {
        tracing::warn!(integration_id = %integration.id, error = %err, "inbound statistics not counted");
    }
    outcome
}

/// Verifies, interprets, deduplicates, archives and applies one webhook of `integration`.
async fn process(
    state: &AppState,
    request: &InboundRequest,
    source: &dyn WebhookSource,
    integration: &Integration,
) -> Result<InboundOutcome, InboundError> {
    let body = request.body.as_slice();
    let request_id = request.request_id.as_str();
    let now = state.clock.now();
    let inbound = SignedRequest {
        headers: &request.headers,
        body,
        now,
        integration,
    };
    let secret = match &integration.secret {
        Some(sealed) => {
            let cipher = state
                .cipher()
                .await
                .map_err(|e| InboundError::Unavailable(format!("secrets manager: {e}")))?;
            Some(
                cipher
                    .open(sealed, &integration.secret_context())
                    .map_err(|e| InboundError::Internal(e.to_string()))?,
            )
        }
        None => None,
    };
    source.verify(&inbound, secret.as_deref())?;
    let interpretation = source.interpret(&inbound)?;
    if let Interpretation::Reply {
        status: ReplyStatus::Ok,
        body,
    } = &interpretation
    {
        // Pings and URL checks: answered, nothing to keep.
        return Ok(InboundOutcome::Replied {
            status: ReplyStatus::Ok,
            body: body.clone(),
        });
    }

    let provider_id = source.delivery_id(&inbound);
    // Where the signature covers the body but no timestamp, a captured delivery stays valid: the
    // signed body itself is remembered too, so a changed (unsigned) delivery id replays nothing.
    let body_key = (secret.is_some() && !source.signs_timestamp(&inbound))
        .then(|| format!("sha256:{}", hex::encode(Sha256::digest(body))));
    let dedup_keys: Vec<String> = [provider_id.clone(), body_key]
        .into_iter()
        .flatten()
        .collect();
    let delivery = keep(state, integration, &request.headers, body, provider_id).await?;
    let receipt = Receipt {
        delivery,
        dedup_keys,
        scope: integration.id.to_string(),
        window: DEDUP_WINDOW,
    };
    let mut pending = Some(&receipt);
    let processed = apply(
        state,
        integration,
        interpretation,
        &receipt.delivery,
        &mut pending,
    )
    .await;
    tracing::info!(request_id, delivery_id = %receipt.delivery.id, source = integration.source.as_str(), "inbound delivery received");
    match processed {
        Err(InboundError::Store(StoreError::AlreadyReceived(key))) => {
            let provider_id = receipt.delivery.provider_delivery_id.as_ref();
            Ok(InboundOutcome::Duplicate(json!({
                "status": "duplicate",
                "provider_delivery_id": provider_id,
                "reason": if Some(&key) == provider_id {
                    "same delivery id"
                } else {
                    "same signed body"
                },
            })))
        }
        Err(err) => {
            if pending.is_none() {
                // Recorded but not wholly processed: forget the delivery id (and body) so the
                // provider's retry is processed.
                forget(state, &receipt.scope, &receipt.dedup_keys).await;
            }
            Err(err)
        }
        Ok(outcome) => Ok(outcome),
    }
}

/// Forgets remembered delivery keys, logging (never failing) when that does not work.
async fn forget(state: &AppState, scope: &str, keys: &[String]) {
    for key in keys {
        if let Err(err) = state.store.forget_delivery(scope, key).await {
            tracing::error!(delivery_key = %key, error = %err, "could not forget a delivery key");
        }
    }
}

/// The delivery record of a request, with the request kept (inline when small, else in S3).
async fn keep(
    state: &AppState,
    integration: &Integration,
    headers: &Headers,
    body: &[u8],
    provider_id: Option<String>,
) -> Result<InboundDelivery, InboundError> {
    let id = DeliveryId::generate();
    let now = state.clock.now();
    let raw = RawRequest {
        tenant_id: &integration.tenant_id,
        source: integration.source,
        integration_id: integration.id.as_str(),
        delivery_id: id.as_str(),
        received_at: now,
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        body,
    };
    let request = state
        .archive
        .keep(&raw)
        .await
        .map_err(|e| InboundError::Unavailable(e.to_string()))?;
    Ok(InboundDelivery {
        id,
        tenant_id: integration.tenant_id.clone(),
        integration_id: integration.id.clone(),
        source: integration.source,
        provider_delivery_id: provider_id,
        request,
        received_at: now,
    })
}

/// Writes the receipt still pending (the delivery made no incident write that carried it).
async fn settle(state: &AppState, pending: &mut Option<&Receipt>) -> Result<(), InboundError> {
    if let Some(receipt) = pending.take() {
        state.store.record_receipt(receipt).await?;
    }
    Ok(())
}

/// Carries out what a source made of a request. The receipt in `pending`, when there is one,
/// goes with the first incident write, or is written before a change of another kind (a deploy,
/// a command) or after signals that changed nothing; `AlreadyReceived` means nothing was done.
async fn apply(
    state: &AppState,
    integration: &Integration,
    interpretation: Interpretation,
    delivery: &InboundDelivery,
    pending: &mut Option<&Receipt>,
) -> Result<InboundOutcome, InboundError> {
    let unavailable = |e: StoreError| match e {
        StoreError::AlreadyReceived(key) => InboundError::Store(StoreError::AlreadyReceived(key)),
        other => InboundError::Unavailable(other.to_string()),
    };
    match interpretation {
        Interpretation::Reply { status, mut body } => {
            settle(state, pending).await?;
            body["delivery_id"] = json!(delivery.id);
            Ok(InboundOutcome::Replied { status, body })
        }
        Interpretation::Signals(signals) => {
            let mut results = Vec::with_capacity(signals.len());
            for signal in &signals {
                let result = ingest_received(state, integration, signal, pending)
                    .await
                    .map_err(unavailable)?;
                // A signal that changed its incident stored its error event with the change;
                // one that changed nothing (an exact resend) stores it here.
                let wrote = !matches!(
                    result.change,
                    IngestChange::Applied(Change::Duplicate | Change::Unchanged)
                );
                if let Some(event) = signal.error_event.as_ref().filter(|_| !wrote) {
                    let linked = crate::domain::ErrorEvent {
                        incident_id: result.incident_id.clone(),
                        ..event.clone()
                    };
                    settle(state, pending).await?;
                    state
                        .store
                        .put_error_event(&integration.tenant_id, &linked)
                        .await
                        .map_err(unavailable)?;
                }
                results.push(json!({"incident_id": result.incident_id, "change": result.change.as_str(), "kind": signal.kind}));
            }
            settle(state, pending).await?;
            let mut body =
                json!({"status": "accepted", "delivery_id": delivery.id, "results": results});
            if let Some(first) = results.first() {
                body["incident_id"] = first["incident_id"].clone();
                body["change"] = first["change"].clone();
            }
            Ok(InboundOutcome::Accepted(body))
        }
        Interpretation::Deploy(draft) => {
            settle(state, pending).await?;
            let (change, attached) = record_deploy(state, integration, draft)
                .await
                .map_err(unavailable)?;
            Ok(InboundOutcome::Accepted(
                json!({"status": "accepted", "delivery_id": delivery.id, "change_id": change.id, "attached_to_incidents": attached}),
            ))
        }
        Interpretation::Ticket(change) => {
            settle(state, pending).await?;
            let mut body = apply_ticket_change(state, integration, &change)
                .await
                .map_err(unavailable)?;
            body["delivery_id"] = json!(delivery.id);
            Ok(if body["status"] == "accepted" {
                InboundOutcome::Accepted(body)
            } else {
                InboundOutcome::Replied {
                    status: ReplyStatus::Accepted,
                    body,
                }
            })
        }
        Interpretation::Command(command) => {
            settle(state, pending).await?;
            let reply = run_slash_command(state, integration, &command)
                .await
                .map_err(unavailable)?;
            Ok(InboundOutcome::Replied {
                status: ReplyStatus::Ok,
                body: reply,
            })
        }
    }
}

/// Replays an archived delivery of `tenant` through its source's interpretation again
/// (signature and dedup were checked when it first arrived).
pub async fn replay(
    state: &AppState,
    tenant: &TenantId,
    id: &DeliveryId,
) -> Result<InboundOutcome, InboundError> {
    let delivery = state
        .store
        .get_inbound_delivery(tenant, id)
        .await?
        .ok_or_else(|| InboundError::NotFound(format!("no delivery with id `{id}`")))?;
    let integration = state
        .store
        .get_integration(&delivery.integration_id)
        .await?
        .filter(|i| &i.tenant_id == tenant)
        .ok_or_else(|| {
            InboundError::NotFound(format!(
                "the integration of delivery `{id}` no longer exists"
            ))
        })?;
    let (headers, body) = state
        .archive
        .read(&delivery.request)
        .await
        .map_err(|e| InboundError::Unavailable(e.to_string()))?;
    let headers: Headers = headers.into_iter().collect();
    let inbound = SignedRequest {
        headers: &headers,
        body: &body,
        now: delivery.received_at,
        integration: &integration,
    };
    let source = source_for(delivery.source).ok_or_else(|| {
        InboundError::Internal(format!("{} sends no webhooks", delivery.source.as_str()))
    })?;
    let interpretation = source.interpret(&inbound)?;
    apply(state, &integration, interpretation, &delivery, &mut None).await
}
