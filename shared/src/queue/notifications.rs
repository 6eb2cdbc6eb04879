use super::QueueError;
use crate::aws::LazyClient;
use crate::domain::notification::Throttle;
use crate::domain::{DestinationId, DomainEvent, NotificationRuleId, TenantId};
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
    /// The rule that routed it; none when it goes to a ticket the incident already has (a
    /// resolve always reaches the ticket or page, whatever the rules say now).
    #[serde(default)]
    pub rule_id: Option<NotificationRuleId>,
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
    /// A person asked for it now (a ticket opened by hand): no maintenance window holds it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_hand: bool,
}

/// Enqueues notification tasks for `notify`, with the tenant as message group (fair queues on
/// AWS), and parks exhausted ones in the dead-letter queue.
#[derive(Clone, Debug)]
pub struct NotifyQueue {
    client: LazyClient<Client>,
    url: Option<String>,
    dead_letter_url: Option<String>,
}

impl NotifyQueue {
    /// A handle on the queue at `url` (none for functions that never notify) and its dead-letter
    /// queue.
    pub fn new(
        client: impl Into<LazyClient<Client>>,
        url: Option<String>,
        dead_letter_url: Option<String>,
    ) -> Self {
        Self {
            client: client.into(),
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
        let items: Vec<(&NotifyTask, &str)> =
            tasks.iter().map(|t| (t, t.tenant_id.as_str())).collect();
        super::send::send_batches(&self.client, self.url()?, &items).await
    }

    /// Enqueues `task` to become visible after `delay` (at most SQS's 15 minutes).
    pub async fn enqueue_after(
        &self,
        task: &NotifyTask,
        delay: Duration,
    ) -> Result<(), QueueError> {
        super::send::send_after(
            &self.client,
            self.url()?,
            task,
            task.tenant_id.as_str(),
            delay,
        )
        .await
    }

    /// Parks `task` in the dead-letter queue (out of attempts, or refused for good), where an
    /// alarm sees it and `POST /v1/dead-letters/redrive` can send it again.
    pub async fn dead_letter(&self, task: &NotifyTask) -> Result<(), QueueError> {
        let url = self
            .dead_letter_url
            .as_deref()
            .ok_or_else(|| QueueError::Sqs("FAULTLINE_NOTIFY_DLQ_URL is not set".into()))?;
        super::send::send_after(
            &self.client,
            url,
            task,
            task.tenant_id.as_str(),
            Duration::ZERO,
        )
        .await
    }
}
