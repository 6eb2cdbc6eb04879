//! The inbound pipeline every provider shares. Order matters: find the integration, bound the
//! body, verify the exact bytes, interpret, deduplicate, archive, then change state — so bad input
//! changes nothing, a redelivery changes nothing, and anything accepted is on record (and
//! replayable) before it is processed.

use super::changes::record_merged_change;
use super::ingest::ingest_signal;
use super::slack_commands::run_slash_command;
use crate::archive::RawRequest;
use crate::domain::{DeliveryId, Integration, IntegrationId, TenantId};
use crate::http::{body_bytes, json_response, path_id, ApiError, MAX_BODY_BYTES};
use crate::sources::{source_for, InboundRequest, Interpretation, WebhookSource};
use crate::store::{DedupOutcome, InboundDelivery};
use crate::AppState;
use chrono::Duration;
use http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// How long a provider's delivery id is remembered.
pub const DEDUP_WINDOW: Duration = Duration::days(7);

async fn load_integration(
    state: &AppState,
    req: &Request,
    source: &dyn WebhookSource,
) -> Result<Integration, ApiError> {
    let what = format!("{} integration", source.source().as_str());
    let id = path_id(req, "integration_id", &what, IntegrationId::parse)?;
    match state.store.get_integration(&id).await? {
        Some(integration) if integration.source == source.source() => Ok(integration),
        _ => Err(ApiError::not_found(&what, id.as_str())),
    }
}

/// Receives one webhook for `source` at `POST /v1/hooks/<source>/{integration_id}`.
pub async fn receive(
    state: &AppState,
    req: &Request,
    request_id: &str,
    source: &dyn WebhookSource,
) -> Result<Response<Body>, ApiError> {
    let integration = load_integration(state, req, source).await?;
    let body = body_bytes(req, MAX_BODY_BYTES)?;
    let now = state.clock.now();
    let inbound = InboundRequest {
        headers: req.headers(),
        body,
        now,
        integration: &integration,
    };
    let secret = match &integration.secret {
        Some(sealed) => {
            let cipher = state.cipher().await?;
            Some(
                cipher
                    .open(sealed, &integration.secret_context())
                    .map_err(ApiError::internal)?,
            )
        }
        None => None,
    };
    source
        .verify(&inbound, secret.as_deref())
        .map_err(ApiError::Unauthorized)?;
    let interpretation = source.interpret(&inbound)?;
    if let Interpretation::Reply { status, body } = &interpretation {
        if status.is_success() && *status != StatusCode::ACCEPTED {
            // Pings and URL checks: answered, nothing to keep.
            return Ok(json_response(*status, body));
        }
    }

    let provider_id = source.delivery_id(&inbound);
    let dedup_scope = integration.id.to_string();
    if let Some(id) = &provider_id {
        if state
            .store
            .record_delivery(&dedup_scope, id, now, DEDUP_WINDOW)
            .await?
            == DedupOutcome::Duplicate
        {
            return Ok(json_response(
                StatusCode::OK,
                &json!({"status": "duplicate", "provider_delivery_id": id}),
            ));
        }
    }
    let processed = async {
        let delivery = archive(
            state,
            &integration,
            req.headers(),
            body,
            provider_id.clone(),
            request_id,
        )
        .await?;
        apply(state, &integration, interpretation, &delivery).await
    }
    .await;
    if processed.is_err() {
        // Not processed: forget the delivery id so the provider's retry is processed.
        if let Some(id) = &provider_id {
            if let Err(err) = state.store.forget_delivery(&dedup_scope, id).await {
                tracing::error!(provider_delivery_id = %id, error = %err, "could not forget a failed delivery id");
            }
        }
    }
    processed
}

async fn archive(
    state: &AppState,
    integration: &Integration,
    headers: &HeaderMap,
    body: &[u8],
    provider_id: Option<String>,
    request_id: &str,
) -> Result<InboundDelivery, ApiError> {
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
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect(),
        body,
    };
    let archive_key = state
        .archive
        .put(&raw)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let delivery = InboundDelivery {
        id,
        tenant_id: integration.tenant_id.clone(),
        integration_id: integration.id.clone(),
        source: integration.source,
        provider_delivery_id: provider_id,
        archive_key,
        received_at: now,
    };
    state.store.put_inbound_delivery(&delivery).await?;
    tracing::info!(request_id, delivery_id = %delivery.id, source = integration.source.as_str(), "inbound delivery archived");
    Ok(delivery)
}

/// Carries out what a source made of a request.
async fn apply(
    state: &AppState,
    integration: &Integration,
    interpretation: Interpretation,
    delivery: &InboundDelivery,
) -> Result<Response<Body>, ApiError> {
    let unavailable = |e: crate::store::StoreError| ApiError::Unavailable(e.to_string());
    match interpretation {
        Interpretation::Reply { status, mut body } => {
            body["delivery_id"] = json!(delivery.id);
            Ok(json_response(status, &body))
        }
        Interpretation::Signals(signals) => {
            let mut results = Vec::with_capacity(signals.len());
            for signal in &signals {
                let result = ingest_signal(state, integration, signal)
                    .await
                    .map_err(unavailable)?;
                if let Some(event) = &signal.error_event {
                    let linked = crate::domain::ErrorEvent {
                        incident_id: result.incident_id.clone(),
                        ..event.clone()
                    };
                    state
                        .store
                        .put_error_event(&integration.tenant_id, &linked)
                        .await
                        .map_err(unavailable)?;
                }
                results.push(json!({"incident_id": result.incident_id, "change": result.change.as_str(), "kind": signal.kind}));
            }
            let mut body =
                json!({"status": "accepted", "delivery_id": delivery.id, "results": results});
            if let Some(first) = results.first() {
                body["incident_id"] = first["incident_id"].clone();
                body["change"] = first["change"].clone();
            }
            Ok(json_response(StatusCode::ACCEPTED, &body))
        }
        Interpretation::Change(draft) => {
            let (change, attached) = record_merged_change(state, integration, draft)
                .await
                .map_err(unavailable)?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({"status": "accepted", "delivery_id": delivery.id, "change_id": change.id, "attached_to_incidents": attached}),
            ))
        }
        Interpretation::Command(command) => {
            let reply = run_slash_command(state, integration, &command)
                .await
                .map_err(unavailable)?;
            Ok(json_response(StatusCode::OK, &reply))
        }
    }
}

/// Replays an archived delivery of `tenant` through its source's interpretation again
/// (signature and dedup were checked when it first arrived).
pub async fn replay(
    state: &AppState,
    tenant: &TenantId,
    id: &DeliveryId,
) -> Result<Response<Body>, ApiError> {
    let delivery = state
        .store
        .get_inbound_delivery(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery", id.as_str()))?;
    let integration = state
        .store
        .get_integration(&delivery.integration_id)
        .await?
        .filter(|i| &i.tenant_id == tenant)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "the integration of delivery `{id}` no longer exists"
            ))
        })?;
    let (headers, body) = state
        .archive
        .get(&delivery.archive_key)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let mut header_map = HeaderMap::new();
    for (name, value) in &headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name.as_str()),
            http::HeaderValue::try_from(value.as_str()),
        ) {
            header_map.insert(name, value);
        }
    }
    let inbound = InboundRequest {
        headers: &header_map,
        body: &body,
        now: delivery.received_at,
        integration: &integration,
    };
    let interpretation = source_for(delivery.source).interpret(&inbound)?;
    let mut response = apply(state, &integration, interpretation, &delivery).await?;
    response
        .headers_mut()
        .insert("x-faultline-replay", http::HeaderValue::from_static("true"));
    Ok(response)
}
