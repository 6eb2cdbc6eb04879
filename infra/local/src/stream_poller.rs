//! The local DynamoDB stream event source mapping: reads the table's stream in order from its
//! oldest record, hands the function the records its filters keep, as the event Lambda would, and
//! reads again from the first record the function reports failed (or from the batch's first when
//! the invocation fails) — `ReportBatchItemFailures` honoured, as in AWS.

use crate::functions::invoke_json;
use faultline::AppState;
use faultline_emulator::streams::TableStream;
use std::time::Duration;
use tokio::sync::watch;

/// One table stream → function mapping.
#[derive(Clone, Debug)]
pub struct StreamPoller {
    /// The function's binary name.
    pub function: String,
    /// The table's physical name.
    pub table: String,
    /// Records per batch at most.
    pub batch_size: usize,
    /// The mapping's filter patterns.
    pub filters: Vec<String>,
}

/// How long an empty read waits before the next (Lambda polls a shard about four times a second).
const IDLE: Duration = Duration::from_millis(100);

impl StreamPoller {
    /// Polls the emulator at `endpoint` until `stop` turns true.
    pub async fn run(self, state: AppState, endpoint: String, mut stop: watch::Receiver<bool>) {
        let mut stream = loop {
            match TableStream::of_table(&endpoint, &self.table, &self.filters).await {
                Ok(stream) => break stream,
                Err(err) => {
                    tracing::warn!(table = %self.table, error = %err, "stream not readable yet");
                    if pause(&mut stop, Duration::from_secs(1)).await {
                        return;
                    }
                }
            }
        };
        loop {
            let wait = match stream.next_batch(self.batch_size).await {
                Ok(None) => IDLE,
                Ok(Some(batch)) => {
                    match invoke_json(&state, &self.function, batch.event.clone()).await {
                        Some(Ok(response)) => {
                            let failures = failed_records(&response);
                            stream.settle(&batch, &failures);
                            if failures.is_empty() {
                                Duration::ZERO
                            } else {
                                Duration::from_secs(1)
                            }
                        }
                        Some(Err(err)) => {
                            tracing::warn!(function = %self.function, error = %err, "stream batch failed; handed over again");
                            stream.retry(&batch);
                            Duration::from_secs(1)
                        }
                        None => {
                            tracing::error!(function = %self.function, "not a stream function");
                            return;
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(table = %self.table, error = %err, "stream read failed");
                    Duration::from_secs(1)
                }
            };
            if pause(&mut stop, wait).await {
                return;
            }
        }
    }
}

/// Waits `wait`; `true` when told to stop meanwhile (or already).
async fn pause(stop: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    if wait.is_zero() {
        return false;
    }
    tokio::select! {
        _ = stop.changed() => true,
        _ = tokio::time::sleep(wait) => false,
    }
}

/// The sequence numbers a `DynamoDbEventResponse` reports failed.
fn failed_records(response: &serde_json::Value) -> Vec<String> {
    response["batchItemFailures"]
        .as_array()
        .map(|failures| {
            failures
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
