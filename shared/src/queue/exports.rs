use super::QueueError;
use crate::aws::LazyClient;
use crate::domain::{ExportId, TenantId};
use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One export for the `export` function to write: the job is read from the table, so a task
/// redelivered after the job finished does nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportTask {
    /// Whose.
    pub tenant_id: TenantId,
    /// Which job.
    pub export_id: ExportId,
}

/// The queue of export tasks (`FAULTLINE_EXPORT_QUEUE_URL`), its tenant as message group.
#[derive(Clone, Debug)]
pub struct ExportQueue {
    client: LazyClient<Client>,
    url: Option<String>,
}

impl ExportQueue {
    /// A handle on the queue at `url` (none for functions that never export).
    pub fn new(client: impl Into<LazyClient<Client>>, url: Option<String>) -> Self {
        Self {
            client: client.into(),
            url,
        }
    }

    /// Enqueues `task` now.
    pub async fn enqueue(&self, task: &ExportTask) -> Result<(), QueueError> {
        let url = self
            .url
            .as_deref()
            .ok_or_else(|| QueueError::Sqs("FAULTLINE_EXPORT_QUEUE_URL is not set".into()))?;
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
