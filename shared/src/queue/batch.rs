use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
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

/// Runs `handle` on every record of a batch concurrently and reports only the records that
/// failed, by `messageId`, so SQS redelivers those alone (`ReportBatchItemFailures`).
/// A record whose handler panics fails alone too.
pub async fn process_batch<F, Fut, E>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let work = event.records.into_iter().map(|record| {
        let id = record.message_id.clone().unwrap_or_default();
        let task = tokio::spawn(handle(record));
        async move {
            match task.await {
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
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = join_all(work)
        .await
        .into_iter()
        .flatten()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
