//! Records into issues: repeats of one error (one shape) in a batch fold into one signal that
//! counts them all, carrying a few sample records as evidence.

use crate::domain::log_source::EvidenceLine;
use crate::domain::{Fingerprint, LogSource, Severity, Signal, SignalKind, Source};
use crate::logs::records::Record;
use crate::logs::shape;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use std::collections::BTreeMap;

/// Samples kept per group and batch.
pub const SAMPLES: usize = 3;
/// Longest sample message kept, in bytes.
const SAMPLE_BYTES: usize = 4 * 1024;

/// One error's repeats in a batch.
#[derive(Debug)]
pub struct Group {
    /// Its identity: the source and the records' shape.
    pub fingerprint: Fingerprint,
    /// How many records.
    pub count: u64,
    /// The latest record.
    pub latest: Record,
    /// The first few records, as evidence.
    pub samples: Vec<EvidenceLine>,
}

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The severity a record's words suggest.
fn severity(message: &str) -> Severity {
    let head: String = message.chars().take(300).collect::<String>().to_uppercase();
    if ["FATAL", "CRITICAL", "PANIC", "EMERG"]
        .iter()
        .any(|w| head.contains(w))
    {
        Severity::Critical
    } else if ["ERROR", "EXCEPTION", "TRACEBACK"]
        .iter()
        .any(|w| head.contains(w))
    {
        Severity::High
    } else if head.contains("WARN") {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// The evidence line of a record.
pub fn evidence(source: &LogSource, record: &Record) -> EvidenceLine {
    EvidenceLine {
        at: at(record.first.timestamp_ms),
        log_group: source.group_name().to_owned(),
        log_stream: record.first.stream.clone(),
        event_id: Some(record.first.id.clone()),
        message: crate::text::truncated(&record.message, SAMPLE_BYTES),
    }
}

/// Groups records by shape, in the order each shape first appears.
pub fn group(source: &LogSource, records: Vec<Record>) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut order = Vec::new();
    for record in records {
        let key = shape(&record.message);
        match groups.get_mut(&key) {
            Some(group) => {
                group.count += 1;
                if group.samples.len() < SAMPLES {
                    group.samples.push(evidence(source, &record));
                }
                if record.first.timestamp_ms >= group.latest.first.timestamp_ms {
                    group.latest = record;
                }
            }
            None => {
                order.push(key.clone());
                groups.insert(
                    key.clone(),
                    Group {
                        fingerprint: Fingerprint::from_key(
                            "cloudwatch",
                            &format!("{}:{key}", source.id),
                        ),
                        count: 1,
                        samples: vec![evidence(source, &record)],
                        latest: record,
                    },
                );
            }
        }
    }
    order
        .into_iter()
        .filter_map(|key| groups.remove(&key))
        .collect()
}

/// The signal a group gives: an issue of the log source, counting every repeat.
pub fn signal(source: &LogSource, group: &Group) -> Signal {
    let message = &group.latest.message;
    let first_line = message.lines().next().unwrap_or_default().trim();
    let title: String = if first_line.starts_with("Traceback") {
        message
            .lines()
            .last()
            .unwrap_or(first_line)
            .trim()
            .to_owned()
    } else {
        first_line.to_owned()
    };
    let mut signal = Signal::new(
        Source::Cloudwatch,
        group.fingerprint.clone(),
        title.chars().take(300).collect(),
        at(group.latest.first.timestamp_ms),
    );
    signal.kind = SignalKind::Issue;
    signal.repeats = group.count;
    signal.severity = severity(message);
    signal.service = Some(source.service_name());
    signal.environment = source.environment.clone();
    signal.description = Some(message.clone());
    signal.attributes = json!({
        "log_source_id": source.id,
        "log_group": source.group_name(),
        "log_stream": group.latest.first.stream,
        "event_id": group.latest.first.id,
        "count_in_scan": group.count,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    signal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LogSourceId, TenantId};
    use crate::logs::records::LogLine;

    fn source() -> LogSource {
        LogSource {
            id: LogSourceId::generate(),
            tenant_id: TenantId::generate(),
            name: "checkout".into(),
            log_group: "/aws/lambda/checkout".into(),
            role_arn: None,
            external_id: None,
            filter_pattern: crate::domain::log_source::DEFAULT_FILTER_PATTERN.into(),
            project_id: None,
            service: None,
            environment: Some("production".into()),
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn record(ms: i64, message: &str) -> Record {
        Record {
            first: LogLine {
                id: format!("e{ms}"),
                stream: "2026/11/30/[$LATEST]abc".into(),
                timestamp_ms: ms,
                message: message.into(),
            },
            message: message.into(),
        }
    }

    #[test]
    fn repeats_fold_into_one_signal_that_counts_them() {
        let source = source();
        let groups = group(
            &source,
            vec![
                record(1, "ERROR payment 17 declined"),
                record(2, "ERROR stock 4 missing"),
                record(3, "ERROR payment 99 declined"),
                record(4, "ERROR payment 5 declined"),
                record(5, "ERROR payment 6 declined"),
            ],
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 4);
        assert_eq!(groups[0].samples.len(), SAMPLES);
        let signal = signal(&source, &groups[0]);
        assert_eq!(signal.repeats, 4);
        assert_eq!(signal.title, "ERROR payment 6 declined");
        assert_eq!(signal.kind, SignalKind::Issue);
        assert_eq!(signal.source, Source::Cloudwatch);
        assert_eq!(signal.service.as_deref(), Some("checkout"));
        assert_eq!(signal.severity, Severity::High);
        assert_eq!(signal.occurred_at.timestamp_millis(), 5);
        let other = group(&source, vec![record(9, "ERROR payment 1 declined")]);
        assert_eq!(
            other[0].fingerprint, groups[0].fingerprint,
            "the same issue next batch"
        );
    }
}
