use super::QueueError;
use crate::aws::LazyClient;
use crate::domain::DeliveryTask;
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
    client: LazyClient<Client>,
    first_attempts_url: String,
    retries_url: String,
}

impl DeliveryQueue {
    /// SQS's longest delivery delay; longer waits hop (see `dispatch`).
    pub const MAX_DELAY: Duration = super::send::MAX_DELAY;

    /// A queue handle for the two lanes.
    pub fn new(
        client: impl Into<LazyClient<Client>>,
        first_attempts_url: impl Into<String>,
        retries_url: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
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
        let items: Vec<(&DeliveryTask, &str)> =
            tasks.iter().map(|t| (*t, t.tenant_id.as_str())).collect();
        super::send::send_batches(&self.client, url, &items).await
    }

    /// Enqueues one task to become visible after `delay`, capped at SQS's 15 minutes (the task's
    /// `not_before` makes the receiver hop again when the cap cut the wait short).
    pub async fn enqueue_after(
        &self,
        task: &DeliveryTask,
        delay: Duration,
    ) -> Result<(), QueueError> {
        super::send::send_after(
            &self.client,
            self.lane_of(task),
            task,
            task.tenant_id.as_str(),
            delay,
        )
        .await
    }
}
