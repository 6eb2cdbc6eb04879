//! Sending JSON messages to a queue: in batches of ten (SQS's limit), each with its tenant as
//! message group (fair queues on AWS), or one at a time with a delay.

use super::QueueError;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use serde::Serialize;
use std::time::Duration;

/// SQS's longest delivery delay.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

fn sqs_error(err: impl Into<aws_sdk_sqs::Error>) -> QueueError {
    QueueError::Sqs(format!("{}", err.into()))
}

/// Sends `items` (each with its message group) to `url` now, ten per request; any entry SQS
/// refuses fails the call, naming how many and why.
pub async fn send_batches<T: Serialize>(
    client: &Client,
    url: &str,
    items: &[(&T, &str)],
) -> Result<(), QueueError> {
    for chunk in items.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, (item, group))| {
                let body =
                    serde_json::to_string(item).map_err(|e| QueueError::Codec(e.to_string()))?;
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .message_group_id(*group)
                    .build()
                    .map_err(|e| QueueError::Codec(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(sqs_error)?;
        if let Some(failed) = output.failed.first() {
            return Err(QueueError::Sqs(format!(
                "{} of {} messages not enqueued: {}",
                output.failed.len(),
                chunk.len(),
                failed.message.as_deref().unwrap_or(&failed.code)
            )));
        }
    }
    Ok(())
}

/// Sends one `item` to `url`, visible after `delay` (capped at SQS's 15 minutes).
pub async fn send_after<T: Serialize>(
    client: &Client,
    url: &str,
    item: &T,
    group: &str,
    delay: Duration,
) -> Result<(), QueueError> {
    let body = serde_json::to_string(item).map_err(|e| QueueError::Codec(e.to_string()))?;
    let secs = delay.min(MAX_DELAY).as_secs_f64().ceil() as i32;
    client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id(group)
        .delay_seconds(secs)
        .send()
        .await
        .map_err(sqs_error)?;
    Ok(())
}
