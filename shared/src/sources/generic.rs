//! The generic JSON alert format, for any sender:
//! `{"title", "description", "severity", "status", "fingerprint", "service", "environment", "url",
//! "occurred_at", ...}`; every other field is kept as an attribute.

use super::{Headers, SourceError};
use crate::domain::{Fingerprint, Severity, Signal, SignalStatus, Source};
use crate::signing::{verify_sha256_hex_signature, SignatureError, WebhookSecret};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The generic JSON source.
#[derive(Debug, Clone, Copy)]
pub struct GenericSource;

impl super::WebhookSource for GenericSource {
    fn source(&self) -> Source {
        Source::Generic
    }

    fn verify(
        &self,
        request: &super::SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        match secret {
            None if request.integration.unsigned => Ok(()),
            None => Err(SignatureError::Unsigned(
                "this integration has no secret and was not created with `\"unsigned\": true`: \
                 it accepts nothing (create one with a secret, or explicitly unsigned)",
            )),
            Some(secret) => {
                verify_generic_signature(secret, request.headers, request.body, request.now)
            }
        }
    }

    fn signs_timestamp(&self, request: &super::SignedRequest<'_>) -> bool {
        // Standard Webhooks signs `id.timestamp.body`; `X-Signature-256` signs the body alone.
        request.header("webhook-signature").is_some()
    }

    fn delivery_id(&self, request: &super::SignedRequest<'_>) -> Option<String> {
        request
            .header("webhook-id")
            .or_else(|| request.header("idempotency-key"))
            .filter(|id| !id.is_empty() && id.len() <= 256)
            .map(str::to_owned)
    }

    fn interpret(
        &self,
        request: &super::SignedRequest<'_>,
    ) -> Result<super::Interpretation, SourceError> {
        let body = match serde_json::from_slice(request.body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(SourceError::invalid("", "the body must be a JSON object")),
            Err(err) => return Err(SourceError::Malformed(err.to_string())),
        };
        Ok(super::Interpretation::Signals(vec![parse_generic_alert(
            body,
            request.now,
        )?]))
    }
}

/// Longest accepted title.
pub const MAX_TITLE_CHARS: usize = 1024;

/// What a signed generic request lacks when it carries neither scheme.
pub const MISSING_SIGNATURE: &str = "a signature: send Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) or X-Signature-256";
/// What a Standard Webhooks request lacks when only `webhook-signature` is sent.
pub const INCOMPLETE_SIGNATURE: &str =
    "webhook-id or webhook-timestamp (webhook-signature needs both)";

/// Verifies a generic request against the integration's secret, over the exact body bytes:
/// Standard Webhooks headers when present, else `X-Signature-256: sha256=<hex HMAC>` keyed with the
/// secret's UTF-8 bytes.
pub fn verify_generic_signature(
    secret: &str,
    headers: &Headers,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    if let Some(signature) = headers.get("webhook-signature") {
        let (Some(id), Some(timestamp)) =
            (headers.get("webhook-id"), headers.get("webhook-timestamp"))
        else {
            return Err(SignatureError::Missing(INCOMPLETE_SIGNATURE));
        };
        return WebhookSecret::parse(secret).verify(
            id,
            timestamp,
            signature,
            body,
            now.timestamp(),
        );
    }
    match headers.get("x-signature-256") {
        Some(signature) if verify_sha256_hex_signature(secret.as_bytes(), body, signature) => {
            Ok(())
        }
        Some(_) => Err(SignatureError::Mismatch("X-Signature-256")),
        None => Err(SignatureError::Missing(MISSING_SIGNATURE)),
    }
}

fn optional_string(
    body: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<String>, SourceError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text).filter(|t| !t.trim().is_empty())),
        Some(_) => Err(SourceError::invalid(
            field,
            format!("`{field}` must be a string"),
        )),
    }
}

/// Normalises a generic alert body into a signal; 422 naming the field when it is wrong.
pub fn parse_generic_alert(
    mut body: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Signal, SourceError> {
    let title = optional_string(&mut body, "title")?
        .ok_or_else(|| SourceError::invalid("title", "`title` is required"))?;
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(SourceError::invalid(
            "title",
            format!("`title` must be at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    let severity = match optional_string(&mut body, "severity")? {
        None => Severity::Medium,
        Some(name) => Severity::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
            SourceError::invalid(
                "severity",
                format!(
                    "`severity` must be one of {}, not `{name}`",
                    Severity::NAMES
                ),
            )
        })?,
    };
    let status = match optional_string(&mut body, "status")?.as_deref() {
        None | Some("firing") => SignalStatus::Firing,
        Some("resolved") => SignalStatus::Resolved,
        Some(other) => {
            return Err(SourceError::invalid(
                "status",
                format!("`status` must be `firing` or `resolved`, not `{other}`"),
            ))
        }
    };
    let given_time = body.get("occurred_at").is_some_and(|v| !v.is_null());
    let occurred_at = match optional_string(&mut body, "occurred_at")? {
        None => now,
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                SourceError::invalid("occurred_at", "`occurred_at` must be an RFC 3339 timestamp")
            })?,
    };
    let description = optional_string(&mut body, "description")?;
    let service = optional_string(&mut body, "service")?;
    let environment = optional_string(&mut body, "environment")?;
    let url = optional_string(&mut body, "url")?;
    if let Some(link) = &url {
        if !crate::domain::signal::is_web_link(link) {
            return Err(SourceError::invalid(
                "url",
                "`url` must be an absolute http or https URL",
            ));
        }
    }
    let fingerprint = match optional_string(&mut body, "fingerprint")? {
        Some(key) => Fingerprint::from_key(Source::Generic.as_str(), &key),
        None => Fingerprint::from_parts(
            Source::Generic.as_str(),
            &title,
            service.as_deref().unwrap_or_default(),
            environment.as_deref().unwrap_or_default(),
        ),
    };
    let mut signal = Signal::new(Source::Generic, fingerprint, title, occurred_at);
    signal.description = description;
    signal.severity = severity;
    signal.status = status;
    signal.service = service;
    signal.environment = environment;
    signal.url = url;
    signal.attributes = body;
    if !given_time {
        signal.arrival_id = Some(ulid::Ulid::new().to_string());
    }
    Ok(signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<Signal, SourceError> {
        let Value::Object(map) = value else {
            panic!("object")
        };
        parse_generic_alert(map, Utc::now())
    }

    fn field_of(err: SourceError) -> String {
        match err {
            SourceError::Invalid { field, .. } => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn full_alert_is_normalised_and_extras_kept() {
        let signal = parse(json!({
            "title": "Disk full", "severity": "critical", "status": "firing",
            "fingerprint": "disk-db1", "service": "db", "environment": "production",
            "url": "https://grafana.example.com/d/1", "occurred_at": "2026-11-21T10:00:00Z",
            "host": "db1", "value": 99.5
        }))
        .expect("valid");
        assert_eq!(signal.severity, Severity::Critical);
        assert_eq!(
            signal.fingerprint,
            Fingerprint::from_key("generic", "disk-db1")
        );
        assert_eq!(signal.attributes["host"], "db1");
        assert_eq!(signal.attributes["value"], 99.5);
        assert!(!signal.attributes.contains_key("title"));
        assert_eq!(signal.occurred_at.to_rfc3339(), "2026-11-21T10:00:00+00:00");
    }

    #[test]
    fn defaults_are_medium_and_firing_with_a_derived_fingerprint() {
        let signal = parse(json!({"title": "Queue backlog", "service": "worker"})).expect("valid");
        assert_eq!(signal.severity, Severity::Medium);
        assert_eq!(signal.status, SignalStatus::Firing);
        assert_eq!(
            signal.fingerprint,
            Fingerprint::from_parts("generic", "Queue backlog", "worker", "")
        );
    }

    #[test]
    fn wrong_fields_are_named() {
        assert_eq!(
            field_of(parse(json!({"severity": "high"})).expect_err("no title")),
            "title"
        );
        assert_eq!(
            field_of(parse(json!({"title": "  "})).expect_err("blank title")),
            "title"
        );
        assert_eq!(
            field_of(parse(json!({"title": 5})).expect_err("not a string")),
            "title"
        );
        assert_eq!(
            field_of(parse(json!({"title": "x", "severity": "urgent"})).expect_err("bad")),
            "severity"
        );
        assert_eq!(
            field_of(parse(json!({"title": "x", "status": "open"})).expect_err("bad")),
            "status"
        );
        assert_eq!(
            field_of(parse(json!({"title": "x", "occurred_at": "yesterday"})).expect_err("bad")),
            "occurred_at"
        );
        assert_eq!(
            field_of(parse(json!({"title": "x", "url": "not a url"})).expect_err("bad")),
            "url"
        );
        assert_eq!(
            field_of(parse(json!({"title": "x", "url": "javascript:alert(1)"})).expect_err("bad")),
            "url"
        );
    }

    #[test]
    fn both_signature_schemes_verify_and_tampering_fails() {
        let now = Utc::now();
        let body = br#"{"title":"x"}"#;
        let mut headers = Headers::new();
        assert_eq!(
            verify_generic_signature("s3cret", &headers, body, now),
            Err(SignatureError::Missing(MISSING_SIGNATURE))
        );
        let hmac = hex::encode(crate::signing::hmac_sha256(b"s3cret", body));
        headers.insert("x-signature-256", &format!("sha256={hmac}"));
        assert_eq!(
            verify_generic_signature("s3cret", &headers, body, now),
            Ok(())
        );
        assert!(verify_generic_signature("s3cret", &headers, br#"{"title":"y"}"#, now).is_err());

        let secret = WebhookSecret::generate();
        let ts = now.timestamp();
        let mut sw = Headers::new();
        sw.insert("webhook-timestamp", &ts.to_string());
        sw.insert("webhook-signature", &secret.sign("msg_1", ts, body));
        assert_eq!(
            verify_generic_signature(secret.expose(), &sw, body, now),
            Err(SignatureError::Missing(INCOMPLETE_SIGNATURE))
        );
        sw.insert("webhook-id", "msg_1");
        assert_eq!(
            verify_generic_signature(secret.expose(), &sw, body, now),
            Ok(())
        );
        assert_eq!(
            verify_generic_signature(secret.expose(), &sw, b"{}", now),
            Err(SignatureError::Mismatch("webhook-signature"))
        );
    }
}
