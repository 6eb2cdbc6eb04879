use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use serde::de::DeserializeOwned;
use std::future::Future;

/// Publishing or enqueuing failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// SQS refused or failed.
    #[error("sqs: {0}")]
    Sqs(String),
    /// A message did not encode or decode.
    #[error("message codec: {0}")]
    Codec(String),
}

/// The records of an SQS batch, each decoded once: the decoded ones with their `messageId`, and
/// the ids of those that do not decode (reported as failures, so SQS redelivers them and, in the
/// end, moves them to the dead-letter queue).
#[derive(Debug)]
pub struct DecodedBatch<T> {
    /// `(messageId, record)` for every record that decoded.
    pub records: Vec<(String, T)>,
    /// The ids of the records that did not.
    pub malformed: Vec<String>,
}

impl<T: DeserializeOwned> DecodedBatch<T> {
    /// Decodes every record's JSON body as a `T`.
    pub fn decode(event: SqsEvent) -> Self {
        let mut batch = Self {
            records: Vec::with_capacity(event.records.len()),
            malformed: Vec::new(),
        };
        for record in event.records {
            let id = record.message_id.unwrap_or_default();
            match serde_json::from_str(record.body.as_deref().unwrap_or_default()) {
                Ok(decoded) => batch.records.push((id, decoded)),
                Err(err) => {
                    tracing::warn!(message_id = %id, error = %err, "record does not decode; left for redelivery");
                    batch.malformed.push(id);
                }
            }
        }
        batch
    }
}

/// Handles whatever Lambda hands a function that both drains an SQS queue and runs on a schedule:
/// an SQS batch (`Records`) goes to `batch`, anything else (the schedule's event) to `schedule`.
pub async fn batch_or_schedule<B, S, E>(
    event: serde_json::Value,
    batch: impl FnOnce(SqsEvent) -> B,
    schedule: impl FnOnce() -> S,
) -> Result<serde_json::Value, String>
where
    B: Future<Output = SqsBatchResponse>,
    S: Future<Output = Result<serde_json::Value, E>>,
    E: std::fmt::Display,
{
    if event.get("Records").is_some() {
        let records = serde_json::from_value(event).map_err(|e| e.to_string())?;
        // Boxed: the two flows' futures nested in one are deeper than the compiler lays out.
        let response = Box::pin(batch(records)).await;
        return serde_json::to_value(response).map_err(|e| e.to_string());
    }
    Box::pin(schedule()).await.map_err(|e| e.to_string())
}

/// A record's task, aborted if the batch is dropped before it finishes: when the invocation's
/// future goes (its runtime cut it off), its records' work goes with it rather than running on,
/// detached, into whatever the container does next.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `handle` on every decoded record of a batch concurrently and reports only the records
/// that failed (or did not decode), by `messageId`, so SQS redelivers those alone
/// (`ReportBatchItemFailures`). A record whose handler panics fails alone too.
pub async fn process_batch<T, F, Fut, E>(batch: DecodedBatch<T>, handle: F) -> SqsBatchResponse
where
    F: Fn(String, T) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let work = batch.records.into_iter().map(|(id, record)| {
        let mut task = AbortOnDrop(tokio::spawn(handle(id.clone(), record)));
        async move {
            match (&mut task.0).await {
                Ok(Ok(())) => None,
                Ok(Err(err)) => {
                    tracing::warn!(message_id = %id, error = %err, "record failed; left for redelivery");
                    Some(id)
                }
                Err(join_error) => {
                    tracing::error!(message_id = %id, error = %join_error, "record handler panicked");
                    Some(id)
                }
            }
        }
    });
    let failed = join_all(work).await.into_iter().flatten();
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = batch
        .malformed
        .into_iter()
        .chain(failed)
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    fn batch_of_one() -> DecodedBatch<u32> {
        let mut record = SqsMessage::default();
        record.message_id = Some("m-1".into());
        record.body = Some("7".into());
        let mut event = SqsEvent::default();
        event.records = vec![record];
        DecodedBatch::decode(event)
    }

    #[tokio::test]
    async fn a_dropped_batch_takes_its_records_work_with_it() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let batch = process_batch(batch_of_one(), move |_, _| {
            let flag = flag.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                flag.store(true, Ordering::SeqCst);
                Ok::<_, String>(())
            }
        });
        // The invocation is cut off while its record sleeps.
        assert!(tokio::time::timeout(Duration::from_millis(50), batch)
            .await
            .is_err());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "the record's work ran on after its batch was dropped"
        );
    }

    #[tokio::test]
    async fn a_failing_record_is_reported_by_its_message_id() {
        let response = process_batch(batch_of_one(), |_, n| async move {
            if n == 7 {
                Err("seven refused".to_owned())
            } else {
                Ok(())
            }
        })
        .await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m-1"]);
    }
}
