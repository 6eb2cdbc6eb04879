use super::QueueError;
use crate::domain::notification::Throttle;
use crate::domain::{DestinationId, DomainEvent, NotificationRuleId, TenantId};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One notification to send: an incident event for one destination, under the rule that routed
/// it there. Carries the event whole, so `notify` reads no incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotifyTask {
    /// Whose (top level, so the dead-letter views find a tenant's own).
    pub tenant_id: TenantId,
    /// The event (its `data` is the incident as it stood).
    pub event: DomainEvent,
    /// Where to.
    pub destination_id: DestinationId,
    /// The rule that routed it.
    pub rule_id: NotificationRuleId,
    /// That rule's throttle.
    #[serde(default)]
    pub throttle: Throttle,
    /// Which attempt this is (1 first).
    pub attempt: u32,
    /// Set on the task that sums up what was folded at this destination in the minute starting
    /// at this unix time (the event is then only the one that started the flood).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flood_summary_of: Option<i64>,
    /// Held back by a maintenance window and looked at again when it ended: the incident is read
    /// as it is then, not as the event carried it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub released_from_window: bool,
}

/// Enqueues notification tasks for `notify`, with the tenant as message group (fair queues on
/// AWS), and parks exhausted ones in the dead-letter queue.
#[derive(Clone, Debug)]
pub struct NotifyQueue {
    client: Client,
    url: Option<String>,
    dead_letter_url: Option<String>,
}

impl NotifyQueue {
    /// A handle on the queue at `url` (none for functions that never notify) and its dead-letter
    /// queue.
    pub fn new(client: Client, url: Option<String>, dead_letter_url: Option<String>) -> Self {
        Self {
            client,
            url,
            dead_letter_url,
        }
    }

    fn url(&self) -> Result<&str, QueueError> {
        self.url
            .as_deref()
            .ok_or_else(|| QueueError::Sqs("FAULTLINE_NOTIFY_QUEUE_URL is not set".into()))
    }

    /// Enqueues `tasks` now, ten per request.
    pub async fn enqueue_now(&self, tasks: &[NotifyTask]) -> Result<(), QueueError> {
        let url = self.url()?;
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
                    "{} of {} notifications not enqueued: {}",
                    output.failed.len(),
                    chunk.len(),
                    failed.message.as_deref().unwrap_or(&failed.code)
                )));
            }
        }
        Ok(())
    }

    /// Enqueues `task` to become visible after `delay` (at most SQS's 15 minutes).
    pub async fn enqueue_after(
        &self,
        task: &NotifyTask,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let secs = delay.min(Duration::from_secs(900)).as_secs_f64().ceil() as i32;
        self.send_one(self.url()?, task, secs).await
    }

    /// Parks `task` in the dead-letter queue (out of attempts, or refused for good), where an
    /// alarm sees it and `POST /v1/dead-letters/redrive` can send it again.
    pub async fn dead_letter(&self, task: &NotifyTask) -> Result<(), QueueError> {
        let url = self
            .dead_letter_url
            .as_deref()
            .ok_or_else(|| QueueError::Sqs("FAULTLINE_NOTIFY_DLQ_URL is not set".into()))?;
        self.send_one(url, task, 0).await
    }

    async fn send_one(
        &self,
        url: &str,
        task: &NotifyTask,
        delay_secs: i32,
    ) -> Result<(), QueueError> {
        let body = serde_json::to_string(task).map_err(|e| QueueError::Codec(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_group_id(task.tenant_id.as_str())
            .delay_seconds(delay_secs)
            .send()
            .await
            .map_err(|e| QueueError::Sqs(format!("{}", aws_sdk_sqs::Error::from(e))))?;
        Ok(())
    }
}
