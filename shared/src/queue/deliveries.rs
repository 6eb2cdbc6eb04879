use super::QueueError;
use crate::domain::DeliveryTask;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use std::time::Duration;

/// Enqueues delivery tasks on the `deliveries` queue.
#[derive(Clone, Debug)]
pub struct DeliveryQueue {
    client: Client,
    queue_url: String,
}

impl DeliveryQueue {
    /// SQS's longest delivery delay; longer waits hop (see `dispatch`).
    pub const MAX_DELAY: Duration = Duration::from_secs(900);

    /// A queue handle for `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// Enqueues `tasks` with no delay, ten per request (SQS's batch limit).
    pub async fn enqueue_now(&self, tasks: &[DeliveryTask]) -> Result<(), QueueError> {
        for chunk in tasks.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, task)| {
                    let body = serde_json::to_string(task)
                        .map_err(|e| QueueError::Codec(e.to_string()))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| QueueError::Codec(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Sqs(format!("{}", aws_sdk_sqs::Error::from(e))))?;
            if let Some(failed) = output.failed.first() {
                return Err(QueueError::Sqs(format!(
                    "{} of {} tasks not enqueued: {}",
                    output.failed.len(),
                    chunk.len(),
                    failed.message.as_deref().unwrap_or(&failed.code)
                )));
            }
        }
        Ok(())
    }

    /// Enqueues one task to become visible after `delay`, capped at SQS's 15 minutes (the task's
    /// `not_before` makes the receiver hop again when the cap cut the wait short).
    pub async fn enqueue_after(
        &self,
        task: &DeliveryTask,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let body = serde_json::to_string(task).map_err(|e| QueueError::Codec(e.to_string()))?;
        let secs = delay.min(Self::MAX_DELAY).as_secs_f64().ceil() as i32;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(secs)
            .send()
            .await
            .map_err(|e| QueueError::Sqs(format!("{}", aws_sdk_sqs::Error::from(e))))?;
        Ok(())
    }
}
