//! Sentry integration-platform webhooks: `Sentry-Hook-Signature` (or `Sentry-App-Signature`) =
//! hex HMAC-SHA256 of the raw body with the client secret. The timestamp is not signed, so a
//! freshness window on `Sentry-Hook-Timestamp` plus the `Request-ID` replay cache (the pipeline's
//! dedup) stand in. Issues are keyed by Sentry issue id; event and metric alerts open incidents.
//! The legacy WebHooks plugin sends no signature: accepted only when the integration's config says
//! `"allow_unsigned_legacy": true`.

use super::SourceError;
use super::{text, Interpretation, SignedRequest, WebhookSource};
use crate::domain::{Fingerprint, Severity, Signal, SignalKind, SignalStatus, Source};
use crate::signing::{is_fresh, verify_sha256_hex_signature, SignatureError};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

/// The Sentry source.
#[derive(Debug, Clone, Copy)]
pub struct SentrySource;

/// Hook timestamps further than this from now are refused.
pub const FRESHNESS_SECS: i64 = 5 * 60;

fn is_legacy(body: &Value) -> bool {
    body.get("action").is_none()
        && body.get("installation").is_none()
        && body.get("event").is_some()
}

pub(super) fn severity(level: Option<&str>) -> Severity {
    match level {
        Some("fatal") => Severity::Critical,
        Some("error") => Severity::High,
        Some("warning") => Severity::Medium,
        Some("debug") => Severity::Low,
        Some("info") => Severity::Info,
        _ => Severity::High,
    }
}

fn event_time(event: &Value) -> Option<DateTime<Utc>> {
    super::time(event, "/datetime").or_else(|| {
        let secs = event["timestamp"].as_f64()?;
        Utc.timestamp_millis_opt((secs * 1000.0) as i64).single()
    })
}

/// The `environment` tag of an event (`tags` is a list of `[key, value]` pairs).
fn environment(event: &Value) -> Option<String> {
    event["tags"]
        .as_array()?
        .iter()
        .find(|pair| pair.get(0).and_then(Value::as_str) == Some("environment"))
        .and_then(|pair| pair.get(1))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

pub(super) fn issue_fingerprint(issue_id: &str) -> Fingerprint {
    Fingerprint::from_key("sentry", &format!("issue:{issue_id}"))
}

pub(super) fn alert_fingerprint(issue_id: &str) -> Fingerprint {
    Fingerprint::from_key("sentry", &format!("alert:{issue_id}"))
}

fn keep(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn issue_signals(
    action: &str,
    issue: &Value,
    now: DateTime<Utc>,
) -> Result<Vec<Signal>, SourceError> {
    let id = text(issue, "/id")
        .ok_or_else(|| SourceError::invalid("data.issue.id", "issue id missing"))?;
    let title = text(issue, "/title").unwrap_or_else(|| format!("Sentry issue {id}"));
    let at = super::time(issue, "/lastSeen").unwrap_or(now);
    let mut signal = Signal::new(Source::Sentry, issue_fingerprint(&id), title, at);
    signal.kind = SignalKind::Issue;
    signal.upstream_id = Some(id.clone());
    signal.severity = severity(issue["level"].as_str());
    signal.url = text(issue, "/permalink");
    signal.service = text(issue, "/project/slug");
    signal.assignee = text(issue, "/assignedTo/name").or_else(|| text(issue, "/assignedTo/email"));
    signal.attributes = keep(json!({
        "short_id": issue["shortId"], "culprit": issue["culprit"], "count": issue["count"],
        "platform": issue["platform"], "substatus": issue["substatus"], "sentry_action": action,
    }));
    let signal = match action {
        "created" | "unresolved" => signal,
        "resolved" => {
            signal.status = SignalStatus::Resolved;
            // Resolving the issue also resolves the incident its alerts opened.
            let mut alert = signal.clone();
            alert.kind = SignalKind::Alert;
            alert.fingerprint = alert_fingerprint(&id);
            return Ok(vec![signal, alert]);
        }
        "ignored" | "archived" => {
            signal.status = SignalStatus::Resolved;
            signal.note = Some(format!("{action} in Sentry"));
            signal
        }
        "assigned" => signal.not_an_occurrence(),
        other => {
            return Err(SourceError::invalid(
                "action",
                format!("unknown issue action `{other}`"),
            ))
        }
    };
    Ok(vec![signal])
}

fn event_signal(
    event: &Value,
    kind: SignalKind,
    rule: Option<String>,
    now: DateTime<Utc>,
) -> Result<Signal, SourceError> {
    let issue_id = text(event, "/issue_id")
        .ok_or_else(|| SourceError::invalid("data.event.issue_id", "issue id missing"))?;
    let title = text(event, "/title")
        .or_else(|| text(event, "/message"))
        .unwrap_or_else(|| format!("Sentry issue {issue_id}"));
    let fingerprint = match kind {
        SignalKind::Issue => issue_fingerprint(&issue_id),
        SignalKind::Alert => alert_fingerprint(&issue_id),
    };
    let mut signal = Signal::new(
        Source::Sentry,
        fingerprint,
        title,
        event_time(event).unwrap_or(now),
    );
    signal.kind = kind;
    signal.upstream_id = Some(issue_id);
    signal.severity = severity(event["level"].as_str());
    signal.url = text(event, "/web_url");
    signal.environment = environment(event);
    signal.description = text(event, "/culprit");
    signal.attributes = keep(json!({
        "event_id": event["event_id"], "platform": event["platform"], "release": event["release"],
        "triggered_rule": rule,
    }));
    signal.error_event = crate::domain::ErrorEvent::from_sentry(event, signal.occurred_at);
    Ok(signal)
}

fn metric_alert_signal(
    action: &str,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<Signal, SourceError> {
    let alert = &data["metric_alert"];
    let id = text(alert, "/id")
        .ok_or_else(|| SourceError::invalid("data.metric_alert.id", "metric alert id missing"))?;
    let title = text(data, "/description_title")
        .or_else(|| text(alert, "/alert_rule/name"))
        .unwrap_or_else(|| format!("Sentry metric alert {id}"));
    let mut signal = Signal::new(
        Source::Sentry,
        Fingerprint::from_key("sentry", &format!("metric:{id}")),
        title,
        now,
    );
    signal.upstream_id = Some(id);
    signal.description = text(data, "/description_text");
    signal.url = text(data, "/web_url");
    match action {
        "critical" => signal.severity = Severity::Critical,
        "warning" => signal.severity = Severity::Medium,
        "resolved" => signal.status = SignalStatus::Resolved,
        other => {
            return Err(SourceError::invalid(
                "action",
                format!("unknown metric_alert action `{other}`"),
            ))
        }
    }
    Ok(signal)
}

fn legacy_signal(body: &Value, now: DateTime<Utc>) -> Result<Signal, SourceError> {
    let event = &body["event"];
    let issue_id =
        text(body, "/id").ok_or_else(|| SourceError::invalid("id", "issue id missing"))?;
    let title = text(event, "/title")
        .or_else(|| text(body, "/message"))
        .unwrap_or_else(|| format!("Sentry issue {issue_id}"));
    let mut signal = Signal::new(
        Source::Sentry,
        alert_fingerprint(&issue_id),
        title,
        event_time(event).unwrap_or(now),
    );
    signal.upstream_id = Some(issue_id);
    signal.severity = severity(body["level"].as_str());
    signal.url = text(body, "/url");
    signal.service = text(body, "/project_slug");
    signal.environment = environment(event);
    signal.description = text(body, "/culprit");
    signal.attributes = keep(
        json!({"triggering_rules": body["triggering_rules"], "event_id": event["event_id"], "legacy_plugin": true}),
    );
    Ok(signal)
}

impl WebhookSource for SentrySource {
    fn source(&self) -> Source {
        Source::Sentry
    }

    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        let signature = request
            .header("sentry-hook-signature")
            .or_else(|| request.header("sentry-app-signature"));
        let Some(signature) = signature else {
            let allowed =
                request.integration.config.get("allow_unsigned_legacy") == Some(&Value::Bool(true));
            let legacy = serde_json::from_slice::<Value>(request.body)
                .map(|b| is_legacy(&b))
                .unwrap_or(false);
            // With a client secret set, everything must be signed: the legacy exemption is off.
            return if allowed && legacy && secret.is_none() {
                Ok(())
            } else if legacy {
                Err(SignatureError::Unsigned("unsigned legacy WebHooks-plugin payloads need `allow_unsigned_legacy` in the integration config"))
            } else {
                Err(SignatureError::Missing("Sentry-Hook-Signature"))
            };
        };
        let Some(secret) = secret else {
            return Err(SignatureError::NoSecret);
        };
        if !verify_sha256_hex_signature(
            secret.as_bytes(),
            request.body,
            &format!("sha256={signature}"),
        ) {
            return Err(SignatureError::Mismatch("Sentry-Hook-Signature"));
        }
        if let Some(timestamp) = request.header("sentry-hook-timestamp") {
            let ts: i64 = timestamp
                .split('.')
                .next()
                .unwrap_or_default()
                .parse()
                .map_err(|_| SignatureError::BadTimestamp("Sentry-Hook-Timestamp"))?;
            if !is_fresh(ts, request.now.timestamp(), FRESHNESS_SECS) {
                return Err(SignatureError::Stale {
                    header: "Sentry-Hook-Timestamp",
                    window_secs: FRESHNESS_SECS,
                });
            }
        }
        Ok(())
    }

    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String> {
        request.header("request-id").map(str::to_owned)
    }

    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError> {
        let body = Value::Object(super::json_object(request.body)?);
        let now = request.now;
        if is_legacy(&body) {
            return Ok(Interpretation::Signals(vec![legacy_signal(&body, now)?]));
        }
        let resource = request.header("sentry-hook-resource").unwrap_or_default();
        let action = body["action"].as_str().unwrap_or_default();
        let data = &body["data"];
        let signals = match resource {
            "issue" => issue_signals(action, &data["issue"], now)?,
            "event_alert" => vec![event_signal(
                &data["event"],
                SignalKind::Alert,
                text(data, "/triggered_rule"),
                now,
            )?],
            "error" => vec![event_signal(&data["error"], SignalKind::Issue, None, now)?],
            "metric_alert" => vec![metric_alert_signal(action, data, now)?],
            "installation" => {
                return Ok(Interpretation::Reply {
                    status: super::ReplyStatus::Ok,
                    body: json!({"status": "ok", "installation": body.pointer("/installation/uuid")}),
                })
            }
            "" => {
                return Err(SourceError::NotThisProvider {
                    field: Some("Sentry-Hook-Resource".into()),
                    detail: "not a Sentry webhook: no Sentry-Hook-Resource header".into(),
                })
            }
            other => {
                return Ok(Interpretation::ignored(format!(
                    "Sentry resource `{other}` is not used"
                )))
            }
        };
        Ok(Interpretation::Signals(signals))
    }
}

#[cfg(test)]
mod tests {
    use crate::signing::verify_sha256_hex_signature;

    use crate::fixtures::bytes as fixture;

    #[test]
    fn the_wire_body_vector_verifies_and_the_pretty_docs_body_does_not() {
        let signature = "sha256=35a1adf4b2852288d5e6fc89521768fc0576731ae78ad4ae725f6d4a429923bb";
        assert!(verify_sha256_hex_signature(
            b"test-client-secret",
            &fixture("sentry_issue_created_wire.json"),
            signature
        ));
        assert!(!verify_sha256_hex_signature(
            b"test-client-secret",
            &fixture("sentry_issue_created.json"),
            signature
        ));
        assert!(!verify_sha256_hex_signature(
            b"other-secret",
            &fixture("sentry_issue_created_wire.json"),
            signature
        ));
    }

    fn interpret(resource: &str, body: &serde_json::Value) -> super::Interpretation {
        use super::WebhookSource;
        let integration = crate::domain::Integration {
            id: crate::domain::IntegrationId::generate(),
            tenant_id: crate::domain::TenantId::generate(),
            source: crate::domain::Source::Sentry,
            name: "s".into(),
            project_id: None,
            config: Default::default(),
            secret: None,
            unsigned: true,
            created_at: chrono::Utc::now(),
        };
        let mut headers = crate::sources::Headers::new();
        headers.insert("sentry-hook-resource", resource);
        let bytes = serde_json::to_vec(body).expect("JSON");
        let request = super::SignedRequest {
            headers: &headers,
            body: &bytes,
            now: chrono::Utc::now(),
            integration: &integration,
        };
        super::SentrySource.interpret(&request).expect("interprets")
    }

    #[test]
    fn metric_alerts_open_and_resolve_one_incident_per_alert() {
        // Shape from Sentry's integration-platform docs (metric-alerts.mdx); no captured fixture.
        let body = |action: &str| {
            serde_json::json!({
                "action": action,
                "data": {
                    "metric_alert": {"id": "1234", "alert_rule": {"name": "p95 latency"}},
                    "description_title": "Critical: p95 latency above 2s",
                    "description_text": "1 of 1 in the last 10 minutes",
                    "web_url": "https://sentry.io/organizations/acme/alerts/rules/details/1234/"
                },
                "installation": {"uuid": "a8e5d37a"}
            })
        };
        let signals = |i: super::Interpretation| match i {
            super::Interpretation::Signals(signals) => signals,
            other => panic!("{other:?}"),
        };
        let critical = signals(interpret("metric_alert", &body("critical")));
        let resolved = signals(interpret("metric_alert", &body("resolved")));
        assert_eq!(critical[0].severity, crate::domain::Severity::Critical);
        assert_eq!(critical[0].title, "Critical: p95 latency above 2s");
        assert_eq!(resolved[0].status, crate::domain::SignalStatus::Resolved);
        assert_eq!(critical[0].fingerprint, resolved[0].fingerprint);
        assert_eq!(
            signals(interpret("metric_alert", &body("warning")))[0].severity,
            crate::domain::Severity::Medium
        );
    }

    #[test]
    fn unknown_resources_are_ignored_saying_so() {
        match interpret(
            "comment",
            &serde_json::json!({"action": "created", "data": {}}),
        ) {
            super::Interpretation::Reply { status, body } => {
                assert_eq!(status, crate::sources::ReplyStatus::Accepted);
                assert_eq!(body["status"], "ignored");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn select_options_requests_sign_the_empty_body() {
        let signature = "sha256=cff7ccd625537ce1a726fd29f7fc4beca8a15c96b6c9ee9b9461e149f57d4e88";
        assert!(verify_sha256_hex_signature(
            b"test-client-secret",
            b"",
            signature
        ));
    }
}
