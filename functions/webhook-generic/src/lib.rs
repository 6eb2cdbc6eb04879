//! The `webhook-generic` function: `POST /v1/hooks/generic/{integration_id}` turns any JSON alert
//! into an incident. Order matters: verify the exact bytes, validate, deduplicate, archive, then
//! change state — so bad input changes nothing and accepted input is on record before processing.

use chrono::Duration;
use faultline::archive::RawRequest;
use faultline::domain::{Integration, IntegrationId, Source};
use faultline::http::{body_bytes, json_response, path_id, request_id, ApiError, MAX_BODY_BYTES};
use faultline::services::ingest::ingest_signal;
use faultline::sources::generic::{parse_generic_alert, verify_generic_signature};
use faultline::store::DedupOutcome;
use faultline::AppState;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};

/// How long a sender's delivery id is remembered for deduplication.
pub const DEDUP_WINDOW: Duration = Duration::days(7);

/// Handles one inbound alert; every failure becomes a problem+json response.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    let request_id = request_id(&req);
    match receive(state, &req, &request_id).await {
        Ok(response) => response,
        Err(err) => err.to_response(&request_id),
    }
}

/// The sender's delivery id: Standard Webhooks' `webhook-id`, else `Idempotency-Key`.
fn sender_delivery_id(req: &Request) -> Option<String> {
    ["webhook-id", "idempotency-key"]
        .iter()
        .find_map(|name| req.headers().get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 256)
        .map(str::to_owned)
}

async fn load_integration(state: &AppState, req: &Request) -> Result<Integration, ApiError> {
    let id = path_id(req, "integration_id", "integration", IntegrationId::parse)?;
    match state.store.get_integration(&id).await? {
        Some(integration) if integration.source == Source::Generic => Ok(integration),
        _ => Err(ApiError::not_found("generic integration", id.as_str())),
    }
}

async fn receive(
    state: &AppState,
    req: &Request,
    request_id: &str,
) -> Result<Response<Body>, ApiError> {
    let integration = load_integration(state, req).await?;
    let body = body_bytes(req, MAX_BODY_BYTES)?;
    let now = state.clock.now();

    if let Some(sealed) = &integration.secret {
        let cipher = state
            .cipher()
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let secret = cipher
            .open(sealed, &integration.secret_context())
            .map_err(ApiError::internal)?;
        verify_generic_signature(&secret, req.headers(), body, now)
            .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    }

    let object: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ApiError::validation("", "the body must be a JSON object")),
        Err(err) => return Err(ApiError::MalformedJson(err.to_string())),
    };
    let signal = parse_generic_alert(object, now)?;

    let sender_id = sender_delivery_id(req);
    let dedup_scope = integration.id.to_string();
    if let Some(id) = &sender_id {
        if state
            .store
            .record_delivery(&dedup_scope, id, now, DEDUP_WINDOW)
            .await?
            == DedupOutcome::Duplicate
        {
            return Ok(json_response(
                StatusCode::OK,
                &json!({"status": "duplicate", "delivery_id": id}),
            ));
        }
    }
    let delivery_id = sender_id.clone().unwrap_or_else(|| request_id.to_owned());

    let processed = async {
        let headers = req
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        let raw = RawRequest {
            tenant_id: &integration.tenant_id,
            source: Source::Generic,
            integration_id: integration.id.as_str(),
            delivery_id: &delivery_id,
            received_at: now,
            headers,
            body,
        };
        let archived = state
            .archive
            .put(&raw)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let result = ingest_signal(state, &integration, &signal)
            .await
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        Ok::<_, ApiError>((archived, result))
    }
    .await;

    match processed {
        Ok((archived, result)) => Ok(json_response(
            StatusCode::ACCEPTED,
            &json!({
                "status": "accepted",
                "incident_id": result.incident_id,
                "change": result.change.as_str(),
                "delivery_id": delivery_id,
                "archive_key": archived,
            }),
        )),
        Err(err) => {
            // Not processed: forget the delivery id so the sender's retry is processed.
            if let Some(id) = &sender_id {
                if let Err(forget) = state.store.forget_delivery(&dedup_scope, id).await {
                    tracing::error!(delivery_id = %id, error = %forget, "could not forget a failed delivery id");
                }
            }
            Err(err)
        }
    }
}
