//! The event catalogue: every event type, what it means, and a JSON Schema (2020-12) of its `data`.
//! A test checks real payloads against these schemas, so they cannot drift from the code.

use super::EventType;
use serde_json::{json, Value};

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// The schema of an incident or issue as events carry it.
pub fn incident_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "kind", "title", "severity", "status", "fingerprint", "source", "occurrences",
                     "first_seen_at", "last_seen_at", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string", "pattern": "^inc_"},
            "kind": {"enum": ["alert", "issue"]},
            "title": {"type": "string"},
            "description": nullable("string"),
            "severity": {"enum": ["critical", "high", "medium", "low", "info"]},
            "status": {"enum": ["open", "acknowledged", "resolved"]},
            "fingerprint": {"type": "string"},
            "upstream_id": nullable("string"),
            "project_id": nullable("string"),
            "assignee": nullable("string"),
            "priority": nullable("string"),
            "source": {"enum": ["generic", "github", "jira", "pagerduty", "sentry", "slack", "cloudwatch"]},
            "integration_id": {"type": "string"},
            "service": nullable("string"),
            "environment": nullable("string"),
            "url": nullable("string"),
            "attributes": {"type": "object"},
            "occurrences": {"type": "integer", "minimum": 1},
            "first_seen_at": time(),
            "last_seen_at": time(),
            "created_at": time(),
            "updated_at": time(),
            "acknowledged_at": nullable("string"),
            "resolved_at": nullable("string"),
        },
    })
}

/// The schema of a merged change.
pub fn change_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "repo", "number", "title", "author", "url", "merged_at"],
        "properties": {
            "id": {"type": "string", "pattern": "^chg_"},
            "project_id": nullable("string"),
            "repo": {"type": "string"},
            "number": {"type": "integer"},
            "title": {"type": "string"},
            "author": {"type": "string"},
            "merge_commit": nullable("string"),
            "url": {"type": "string"},
            "merged_at": time(),
        },
    })
}

/// A ranked suspect: a change plus its rank, distance and reason.
fn suspect_schema() -> Value {
    let mut schema = change_schema();
    for (key, value) in [
        ("rank", json!({"type": "integer", "minimum": 1})),
        ("minutes_before", json!({"type": "integer", "minimum": 0})),
        ("reason", json!({"type": "string"})),
    ] {
        schema["properties"][key] = value;
        if let Some(required) = schema["required"].as_array_mut() {
            required.push(json!(key));
        }
    }
    schema
}

fn attempt_report_schema() -> Value {
    json!({
        "type": "object",
        "required": ["message_id", "endpoint_id", "attempt"],
        "properties": {
            "message_id": {"type": "string"},
            "endpoint_id": {"type": "string"},
            "attempt": {"type": "object"},
        },
    })
}

/// The schema of a sample log line kept as evidence.
pub fn evidence_line_schema() -> Value {
    json!({"type": "object", "required": ["at", "log_stream", "message"],
           "properties": {"at": time(), "log_stream": {"type": "string"}, "event_id": nullable("string"),
           "message": {"type": "string"}}})
}

/// The schema of a scheduled job's failure report.
pub fn job_failure_schema() -> Value {
    json!({"type": "object", "required": ["job", "resource_id", "message", "consecutive_failures"],
    "properties": {
        "job": {"enum": ["sentry-sync", "cloudwatch-scan"]},
        "resource_id": {"type": "string"},
        "message": {"type": "string"},
        "consecutive_failures": {"type": "integer", "minimum": 1},
        "last_success_at": nullable("string"),
    }})
}

/// The `data` of `export.completed` and `export.failed`.
pub fn export_schema() -> Value {
    json!({"type": "object",
    "required": ["export_id", "resource", "format", "status", "rows", "bytes", "file_name"],
    "properties": {
        "export_id": {"type": "string"},
        "resource": {"enum": ["incidents", "issues", "messages", "audit"]},
        "format": {"enum": ["csv", "json", "ndjson", "xlsx", "pdf"]},
        "status": {"enum": ["succeeded", "failed"]},
        "rows": {"type": "integer", "minimum": 0},
        "bytes": {"type": "integer", "minimum": 0},
        "file_name": {"type": "string"},
        "schedule_id": nullable("string"),
        "delivery": nullable("string"),
        "download_url": nullable("string"),
        "download_expires_at": nullable("string"),
        "error": nullable("string"),
    }})
}

/// One catalogue entry: description and schema of `data`.
pub fn describe(event_type: EventType) -> (&'static str, Value) {
    use EventType::*;
    match event_type {
        IncidentCreated => ("A new incident was opened.", incident_schema()),
        IncidentUpdated => (
            "An incident changed: another occurrence, acknowledged, new priority.",
            incident_schema(),
        ),
        IncidentResolved => ("An incident was resolved.", incident_schema()),
        IncidentAssigned => ("An incident's assignee changed.", incident_schema()),
        IssueCreated => ("An error-tracker issue appeared.", incident_schema()),
        IssueUpdated => (
            "An issue changed: new events, assignment, regression.",
            incident_schema(),
        ),
        IssueResolved => (
            "An issue was resolved or ignored upstream.",
            incident_schema(),
        ),
        IssueAssigned => ("An issue's assignee changed upstream.", incident_schema()),
        EvidenceAdded => (
            "Sample log lines were attached to an issue (a log scan found it again).",
            json!({"type": "object", "required": ["issue_id", "log_source_id", "lines"],
                   "properties": {"issue_id": {"type": "string"}, "log_source_id": {"type": "string"},
                   "lines": {"type": "array", "items": evidence_line_schema()}}}),
        ),
        SystemError => (
            "A scheduled job keeps failing and needs a person: a bad token, a missing log group.",
            job_failure_schema(),
        ),
        SystemWarning => (
            "A scheduled job keeps failing for passing reasons: throttled, the provider down.",
            job_failure_schema(),
        ),
        DeadlockDetected => (
            "A database deadlock report was found in an alert, error event or log record.",
            json!({"type": "object",
                   "required": ["incident_id", "group_id", "parsed", "summary", "text"],
                   "properties": {"incident_id": {"type": "string"}, "group_id": {"type": "string"},
                   "engine": nullable("string"), "parsed": {"type": "boolean"},
                   "summary": {"type": "string"},
                   "relations": {"type": "array", "items": {"type": "string"}},
                   "modes": {"type": "array", "items": {"type": "string"}},
                   "deadlock": {"type": ["object", "null"]}, "text": {"type": "string"}}}),
        ),
        ExportCompleted => (
            "An export was written; `download_url` fetches it until `download_expires_at`.",
            export_schema(),
        ),
        ExportFailed => (
            "An export could not be written (`error` says why).",
            export_schema(),
        ),
        AlertTriggered => (
            "A firing alert arrived (one per occurrence).",
            incident_schema(),
        ),
        AlertResolved => ("An alert cleared.", incident_schema()),
        DeployRecorded => ("A change was merged (a deploy).", change_schema()),
        TimelineUpdated => (
            "A line was added to an incident's timeline.",
            json!({"type": "object", "required": ["incident_id", "entry"],
                   "properties": {"incident_id": {"type": "string"}, "entry": {"type": "object",
                   "required": ["at", "kind", "message"], "properties": {"at": time(), "kind": {"type": "string"},
                   "message": {"type": "string"}, "data": {}}}}}),
        ),
        HypothesisGenerated => (
            "Changes that may have caused a new incident, closest first.",
            json!({"type": "object", "required": ["incident", "suspects"],
                   "properties": {"incident": incident_schema(), "suspects": {"type": "array", "items": suspect_schema()}}}),
        ),
        EndpointDisabled => (
            "An endpoint was disabled (410 Gone, or failing for too long).",
            json!({"type": "object", "required": ["endpoint_id", "reason"],
                   "properties": {"endpoint_id": {"type": "string"}, "reason": {"type": "string"}, "last_attempt": {"type": "object"}}}),
        ),
        EndpointRecovered => (
            "A failing endpoint accepted a message again.",
            json!({"type": "object", "required": ["endpoint_id"], "properties": {"endpoint_id": {"type": "string"}}}),
        ),
        MessageAttemptFailing => (
            "A message failed four attempts to an endpoint and is still retried.",
            attempt_report_schema(),
        ),
        MessageAttemptExhausted => (
            "A message ran out of attempts to an endpoint.",
            attempt_report_schema(),
        ),
        Ping => (
            "A test message from POST /v1/endpoints/{id}/test.",
            json!({"type": "object", "required": ["endpoint_id", "message"],
                   "properties": {"endpoint_id": {"type": "string"}, "message": {"type": "string"}}}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use chrono::Utc;

    /// Checks `value` against `schema` strictly: an object the schema describes may carry no
    /// field it does not name.
    fn conforms(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
        fn close(schema: &mut Value) {
            match schema {
                Value::Object(map) => {
                    if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                        map.insert("additionalProperties".into(), Value::Bool(false));
                    }
                    map.values_mut().for_each(close);
                }
                Value::Array(items) => items.iter_mut().for_each(close),
                _ => {}
            }
        }
        let mut schema = schema.clone();
        close(&mut schema);
        let validator = jsonschema::validator_for(&schema).map_err(|e| format!("{path}: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{path}{}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    fn incident_data(incident: &Incident) -> Value {
        crate::views::event_data(&crate::views::IncidentView::from(incident))
    }

    fn change_data(change: &DeployRecord) -> Value {
        crate::views::event_data(&crate::views::DeployView::from(change))
    }

    fn incident() -> Incident {
        let signal = Signal::new(
            Source::Generic,
            Fingerprint::from_key("generic", "x"),
            "t".into(),
            Utc::now(),
        );
        Incident::open(
            IncidentId::generate(),
            TenantId::generate(),
            IntegrationId::generate(),
            None,
            &signal,
            Utc::now(),
        )
    }

    fn change() -> DeployRecord {
        DeployRecord {
            id: DeployId::generate(),
            tenant_id: TenantId::generate(),
            project_id: None,
            integration_id: IntegrationId::generate(),
            repo: "acme/api".into(),
            number: 7,
            title: "Fix".into(),
            author: "ann".into(),
            merge_commit: Some("abc".into()),
            url: "https://github.com/acme/api/pull/7".into(),
            merged_at: Utc::now(),
        }
    }

    #[test]
    fn real_payloads_conform_to_their_schemas() {
        let incident = incident_data(&incident());
        let mut suspect = change_data(&change());
        suspect["rank"] = json!(1);
        suspect["minutes_before"] = json!(40);
        suspect["reason"] = json!("merged 40 min before first occurrence");
        let cases = [
            (EventType::IncidentCreated, incident.clone()),
            (EventType::IssueUpdated, incident.clone()),
            (EventType::DeployRecorded, change_data(&change())),
            (
                EventType::HypothesisGenerated,
                json!({"incident": incident, "suspects": [suspect]}),
            ),
            (EventType::EndpointRecovered, json!({"endpoint_id": "ep_1"})),
            (
                EventType::Ping,
                json!({"endpoint_id": "ep_1", "message": "hello"}),
            ),
        ];
        for (event_type, data) in cases {
            let (_, schema) = describe(event_type);
            conforms(&data, &schema, event_type.as_str()).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn the_checker_catches_drift() {
        let mut incident = incident_data(&incident());
        incident["surprise"] = json!(1);
        assert!(conforms(&incident, &incident_schema(), "incident").is_err());
        let mut incident = incident_data(&self::incident());
        incident["severity"] = json!("urgent");
        assert!(conforms(&incident, &incident_schema(), "incident").is_err());
    }
}
