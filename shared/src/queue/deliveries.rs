use super::QueueError;
use crate::domain::DeliveryTask;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use std::time::Duration;

/// Enqueues delivery tasks, in two lanes: first attempts on the `deliveries` queue, retries
/// (attempt 2 onwards, and their hops) on the `retries` queue, which `dispatch` consumes with capped
/// concurrency. However many deliveries one tenant has failing, they wait in the retries lane and
/// never stand in front of anyone's first attempt. Every task also carries its tenant as the
/// message group: on AWS the queues are then SQS fair queues, which serve a quiet tenant's messages
/// before a backlogged tenant's within each lane.
#[derive(Clone, Debug)]
pub struct DeliveryQueue {
    client: Client,
    first_attempts_url: String,
    retries_url: String,
}

impl DeliveryQueue {
    /// SQS's longest delivery delay; longer waits hop (see `dispatch`).
    pub const MAX_DELAY: Duration = Duration::from_secs(900);

    /// A queue handle for the two lanes.
    pub fn new(
        client: Client,
        first_attempts_url: impl Into<String>,
        retries_url: impl Into<String>,
    ) -> Self {
        Self {
            client,
            first_attempts_url: first_attempts_url.into(),
            retries_url: retries_url.into(),
        }
    }

    /// The lane `task` belongs in.
    pub fn lane_of(&self, task: &DeliveryTask) -> &str {
        if task.attempt <= 1 {
            &self.first_attempts_url
        } else {
            &self.retries_url
        }
    }

    /// Enqueues `tasks` with no delay, ten per request (SQS's batch limit).
    pub async fn enqueue_now(&self, tasks: &[DeliveryTask]) -> Result<(), QueueError> {
        let (first, retries): (Vec<&DeliveryTask>, Vec<&DeliveryTask>) =
            tasks.iter().partition(|t| t.attempt <= 1);
        for (url, lane) in [
            (&self.first_attempts_url, first),
            (&self.retries_url, retries),
        ] {
            self.send_batches(url, &lane).await?;
        }
        Ok(())
    }

    async fn send_batches(&self, url: &str, tasks: &[&DeliveryTask]) -> Result<(), QueueError> {
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
                        .message_group_id(task.tenant_id.as_str())
                        .build()
                        .map_err(|e| QueueError::Codec(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(url)
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
            .queue_url(self.lane_of(task))
            .message_body(body)
            .message_group_id(task.tenant_id.as_str())
            .delay_seconds(secs)
            .send()
            .await
            .map_err(|e| QueueError::Sqs(format!("{}", aws_sdk_sqs::Error::from(e))))?;
        Ok(())
    }
}
