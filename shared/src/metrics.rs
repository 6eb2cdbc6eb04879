//! CloudWatch metrics in the Embedded Metric Format: one JSON line on stdout per observation,
//! which CloudWatch Logs turns into metrics — no API call on the request path and no extra
//! permission. Lines are written only inside Lambda (`AWS_LAMBDA_FUNCTION_NAME` set); elsewhere
//! (the tests, `make dev`) an observation is a debug trace event instead.
//!
//! What is measured (namespace `Faultline`; `template.yaml` draws them on a dashboard and alarms on
//! them):
//! - `InboundWebhooks` (Count) by `Source` and `Result` (`accepted`, `duplicate`, `replied`,
//!   `refused_signature`, `refused_unknown`, `refused_invalid`, `rate_limited`, `failed`), and by
//!   `Result` alone;
//! - `Deliveries` (Count) by `Outcome` (`delivered`, `retry_scheduled`, `exhausted`, `hopped`,
//!   `duplicate`, `deferred`, `skipped`) and `AttemptLatency` (Milliseconds) of every POST made;
//! - `RelayedEvents`, `RelayedAuditEntries`, `FoldedRefusals` (Count) per outbox-relay run.

use serde_json::{json, Map, Value};

/// The CloudWatch namespace of every Faultline metric.
pub const NAMESPACE: &str = "Faultline";

/// A metric's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// How many.
    Count,
    /// How long.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

/// Values observed together, under the same dimensions.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    dimensions: Vec<(&'static str, String)>,
    dimension_sets: Vec<Vec<&'static str>>,
    values: Vec<(&'static str, f64, Unit)>,
}

impl Observation {
    /// An observation with `dimensions` (one dimension set: all of them).
    pub fn new(dimensions: &[(&'static str, &str)]) -> Self {
        Self {
            dimensions: dimensions
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            dimension_sets: vec![dimensions.iter().map(|(name, _)| *name).collect()],
            values: Vec::new(),
        }
    }

    /// Also publishes the values under a subset of the dimensions (e.g. a total across sources).
    pub fn also_by(mut self, names: &[&'static str]) -> Self {
        self.dimension_sets.push(names.to_vec());
        self
    }

    /// Adds a count.
    pub fn count(mut self, name: &'static str, value: u64) -> Self {
        self.values.push((name, value as f64, Unit::Count));
        self
    }

    /// Adds a duration in milliseconds.
    pub fn millis(mut self, name: &'static str, value: u64) -> Self {
        self.values.push((name, value as f64, Unit::Milliseconds));
        self
    }

    /// The EMF document at `timestamp_ms`.
    pub fn document(&self, timestamp_ms: i64) -> Value {
        let metrics: Vec<Value> = self
            .values
            .iter()
            .map(|(name, _, unit)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        let mut document = Map::new();
        document.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": self.dimension_sets,
                    "Metrics": metrics,
                }],
            }),
        );
        for (name, value) in &self.dimensions {
            document.insert((*name).into(), Value::String(value.clone()));
        }
        for (name, value, _) in &self.values {
            document.insert((*name).into(), json!(value));
        }
        Value::Object(document)
    }

    /// Writes the observation: an EMF line on stdout in Lambda, a trace event elsewhere.
    pub fn emit(self) {
        let document = self.document(chrono::Utc::now().timestamp_millis());
        if in_lambda() {
            println!("{document}");
        } else {
            tracing::debug!(metrics = %document, "metrics");
        }
    }
}

fn in_lambda() -> bool {
    static IN_LAMBDA: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IN_LAMBDA.get_or_init(|| std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observation_is_one_emf_document_with_its_dimension_sets() {
        let document = Observation::new(&[("Source", "github"), ("Result", "accepted")])
            .also_by(&["Result"])
            .count("InboundWebhooks", 1)
            .millis("Latency", 42)
            .document(1_795_000_000_000);
        assert_eq!(
            document,
            json!({
                "_aws": {
                    "Timestamp": 1_795_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Faultline",
                        "Dimensions": [["Source", "Result"], ["Result"]],
                        "Metrics": [
                            {"Name": "InboundWebhooks", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"},
                        ],
                    }],
                },
                "Source": "github",
                "Result": "accepted",
                "InboundWebhooks": 1.0,
                "Latency": 42.0,
            })
        );
        assert!(!document.to_string().contains('\n'), "one line");
    }
}
