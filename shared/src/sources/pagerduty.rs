//! PagerDuty webhooks v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` (one per active secret,
//! any may match) over the raw body; `X-Webhook-Id` identifies the delivery. Routed on
//! `event.event_type`; incidents are keyed by the PagerDuty incident id — except a PagerDuty
//! incident the hub triggered (its `incident_key` is the hub's `dedup_key`), which acknowledges,
//! resolves or reopens the hub incident it stands for instead.

use super::SourceError;
use super::{text, time, Interpretation, SignedRequest, TicketAction, TicketChange, WebhookSource};
use crate::domain::notification::ticket::incident_of_dedup_key;
use crate::domain::notification::DestinationKind;
use crate::domain::{Fingerprint, Severity, Signal, SignalStatus, Source};
use crate::signing::{verify_hmac_sha256, SignatureError};
use serde_json::{json, Value};

/// The PagerDuty source.
#[derive(Debug, Clone, Copy)]
pub struct PagerdutySource;

/// Whether any `v1=` signature in the header matches (constant-time each).
pub fn verify_pagerduty_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    header
        .split(',')
        .filter_map(|entry| entry.trim().strip_prefix("v1="))
        .filter_map(|hex_sig| hex::decode(hex_sig).ok())
        .any(|given| verify_hmac_sha256(secret, body, &given))
}

fn severity(urgency: Option<&str>) -> Severity {
    match urgency {
        Some("high") => Severity::High,
        Some("low") => Severity::Low,
        _ => Severity::Medium,
    }
}

fn status(data_status: Option<&str>) -> SignalStatus {
    match data_status {
        Some("acknowledged") => SignalStatus::Acknowledged,
        Some("resolved") => SignalStatus::Resolved,
        _ => SignalStatus::Firing,
    }
}

/// The signal for an incident payload (`data.type == "incident"`).
fn incident_signal(event: &Value, event_type: &str) -> Result<Signal, SourceError> {
    let data = &event["data"];
    let id = text(data, "/id")
        .ok_or_else(|| SourceError::invalid("event.data.id", "incident id missing"))?;
    let occurred_at = time(event, "/occurred_at")
        .ok_or_else(|| SourceError::invalid("event.occurred_at", "missing or not RFC 3339"))?;
    let title = text(data, "/title").unwrap_or_else(|| format!("PagerDuty incident {id}"));
    let mut signal = Signal::new(
        Source::Pagerduty,
        Fingerprint::from_key("pagerduty", &id),
        title,
        occurred_at,
    );
    signal.upstream_id = Some(id);
    signal.severity = severity(data["urgency"].as_str());
    signal.url = text(data, "/html_url");
    signal.service = text(data, "/service/summary");
    signal.priority = text(data, "/priority/summary");
    signal.assignee = text(data, "/assignees/0/summary");
    signal.status = match event_type {
        "incident.triggered" | "incident.unacknowledged" | "incident.reopened" => {
            SignalStatus::Firing
        }
        "incident.acknowledged" => SignalStatus::Acknowledged,
        "incident.resolved" => SignalStatus::Resolved,
        _ => status(data["status"].as_str()),
    };
    if event_type == "incident.acknowledged" {
        signal.assignee = text(event, "/agent/summary").or(signal.assignee);
    }
    if event_type == "incident.resolved" {
        signal.note = text(data, "/resolve_reason");
    }
    signal.attributes = json!({
        "pagerduty_event": event_type,
        "number": data["number"],
        "incident_key": data["incident_key"],
        "escalation_policy": data.pointer("/escalation_policy/summary"),
        "agent": event.pointer("/agent/summary"),
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    let occurrence = event_type == "incident.triggered";
    Ok(if occurrence {
        signal
    } else {
        signal.not_an_occurrence()
    })
}

/// For a PagerDuty incident the hub triggered: what it means for the hub incident.
fn linked_change(event: &Value, event_type: &str) -> Option<Interpretation> {
    let key = text(event, "/data/incident_key")?;
    let incident_id = incident_of_dedup_key(&key)?;
    let action = match event_type {
        "incident.acknowledged" => TicketAction::Acknowledge,
        "incident.resolved" => TicketAction::Resolve,
        "incident.reopened" => TicketAction::Reopen,
        other => {
            return Some(Interpretation::ignored(format!(
                "`{other}` of the page Faultline triggered for {incident_id} changes nothing"
            )))
        }
    };
    Some(Interpretation::Ticket(TicketChange {
        incident_id,
        kind: DestinationKind::Pagerduty,
        key,
        action,
        actor: format!(
            "{} in PagerDuty",
            text(event, "/agent/summary").unwrap_or_else(|| "someone".into())
        ),
    }))
}

/// The signal for an annotation (`data.type == "incident_note"`): a timeline note.
fn note_signal(event: &Value) -> Result<Signal, SourceError> {
    let data = &event["data"];
    let id = text(data, "/incident/id")
        .ok_or_else(|| SourceError::invalid("event.data.incident.id", "incident id missing"))?;
    let occurred_at = time(event, "/occurred_at")
        .ok_or_else(|| SourceError::invalid("event.occurred_at", "missing or not RFC 3339"))?;
    let title =
        text(data, "/incident/summary").unwrap_or_else(|| format!("PagerDuty incident {id}"));
    let mut signal = Signal::new(
        Source::Pagerduty,
        Fingerprint::from_key("pagerduty", &id),
        title,
        occurred_at,
    );
    signal.upstream_id = Some(id);
    signal.note = Some(format!(
        "{}: {}",
        text(event, "/agent/summary").unwrap_or_else(|| "PagerDuty".into()),
        text(data, "/content").unwrap_or_default()
    ));
    Ok(signal.not_an_occurrence())
}

impl WebhookSource for PagerdutySource {
    fn source(&self) -> Source {
        Source::Pagerduty
    }

    fn verify(
        &self,
        request: &SignedRequest<'_>,
        secret: Option<&str>,
    ) -> Result<(), SignatureError> {
        // These providers always sign: a record without a secret accepts nothing.
        let Some(secret) = secret else {
            return Err(SignatureError::NoSecret);
        };
        let header = request
            .header("x-pagerduty-signature")
            .ok_or(SignatureError::Missing("X-PagerDuty-Signature"))?;
        if verify_pagerduty_signature(secret.as_bytes(), request.body, header) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch("X-PagerDuty-Signature"))
        }
    }

    fn delivery_id(&self, request: &SignedRequest<'_>) -> Option<String> {
        request.header("x-webhook-id").map(str::to_owned)
    }

    fn interpret(&self, request: &SignedRequest<'_>) -> Result<Interpretation, SourceError> {
        let body = Value::Object(super::json_object(request.body)?);
        let event = body
            .get("event")
            .ok_or_else(|| SourceError::NotThisProvider {
                field: Some("event".into()),
                detail: "not a PagerDuty v3 webhook: no `event`".into(),
            })?;
        let event_type = event["event_type"].as_str().unwrap_or_default();
        if event_type == "pagey.ping" {
            return Ok(Interpretation::Reply {
                status: super::ReplyStatus::Ok,
                body: json!({"status": "pong"}),
            });
        }
        // Route on the payload's own type: `incident.annotated` carries an `incident_note`.
        match (
            event_type,
            event.pointer("/data/type").and_then(Value::as_str),
        ) {
            (_, Some("incident_note")) => Ok(Interpretation::Signals(vec![note_signal(event)?])),
            (
                "incident.triggered"
                | "incident.acknowledged"
                | "incident.unacknowledged"
                | "incident.resolved"
                | "incident.reassigned"
                | "incident.priority_updated"
                | "incident.escalated"
                | "incident.reopened",
                Some("incident"),
            ) => match linked_change(event, event_type) {
                Some(linked) => Ok(linked),
                None => Ok(Interpretation::Signals(vec![incident_signal(
                    event, event_type,
                )?])),
            },
            _ => Ok(Interpretation::ignored(format!(
                "PagerDuty event `{event_type}` is not used"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::bytes as fixture;

    // go-pagerduty's official vector.
    const GO_SECRET: &[u8] = b"lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";

    #[test]
    fn official_vector_verifies_and_its_rejected_signature_fails() {
        let body = fixture("pagerduty_incident_priority_updated_gosdk.json");
        assert!(verify_pagerduty_signature(
            GO_SECRET,
            &body,
            "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
        ));
        assert!(!verify_pagerduty_signature(
            GO_SECRET,
            &body,
            "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"
        ));
    }

    #[test]
    fn real_captured_deliveries_verify_and_tampering_fails() {
        let secret = b"HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";
        for (file, signature) in [
            (
                "pagerduty_incident_triggered.json",
                "v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49",
            ),
            (
                "pagerduty_incident_resolved.json",
                "v1=60a745384fb05b03acfc592b157b05e105e498da2f72f53c437c9d7c8d9aa879",
            ),
            (
                "pagerduty_ping.json",
                "v1=0e83584cbab86f98c51517cf96a70c90e910532d3d2f067d58c753cc8980a05b",
            ),
        ] {
            let body = fixture(file);
            assert!(
                verify_pagerduty_signature(secret, &body, signature),
                "{file}"
            );
            let mut tampered = body.clone();
            tampered.push(b' ');
            assert!(
                !verify_pagerduty_signature(secret, &tampered, signature),
                "{file} tampered"
            );
        }
        let ping = fixture("pagerduty_ping.json");
        assert!(!verify_pagerduty_signature(
            secret,
            &ping,
            "v1=0e83584cbab86f98c51517cf96a70c90e910532d3d2f067d58c753cc8980a05c"
        ));
    }

    #[test]
    fn any_signature_of_a_rotation_may_match() {
        let secret = b"HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8/HlonK5mz";
        let body = fixture("pagerduty_incident_triggered.json");
        let header = "v1=07e114c3d7618985c180c846f4bab46225b745a2b0b7c1305a12d461f4c15b97,v1=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49";
        assert!(verify_pagerduty_signature(secret, &body, header));
        assert!(verify_pagerduty_signature(b"old-secret", &body, header));
        assert!(!verify_pagerduty_signature(b"other", &body, header));
        assert!(!verify_pagerduty_signature(
            secret,
            &body,
            "v2=3e3032b45bbe1801c13f182b0e0a7f4f3f530225cef07e3e90cbc57874d01c49"
        ));
    }
}
