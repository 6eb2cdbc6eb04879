//! Dead-letter queues, seen per tenant: what landed there (a record that failed five times), and a
//! redrive back to the queue it came from. Every queued message names its tenant (`tenant_id`), so
//! a tenant sees and moves only its own.

use super::QueueError;
use crate::aws::LazyClient;
use crate::config::DeadLetterQueue;
use crate::domain::TenantId;
use crate::views::DeadLetterView;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use serde_json::Value;
use std::collections::HashSet;

/// Receives at most this many rounds of 10 per queue per call.
const MAX_ROUNDS: usize = 20;

/// The dead-letter queues of a deployment.
#[derive(Clone, Debug)]
pub struct DeadLetters {
    client: LazyClient<Client>,
    queues: Vec<DeadLetterQueue>,
}

fn sqs_error(err: impl Into<aws_sdk_sqs::Error>) -> QueueError {
    QueueError::Sqs(err.into().to_string())
}

fn belongs_to(message: &Message, tenant: &TenantId) -> Option<Value> {
    let body: Value = serde_json::from_str(message.body()?).ok()?;
    (body["tenant_id"] == tenant.as_str()).then_some(body)
}

impl DeadLetters {
    /// Handles for `queues`.
    pub fn new(client: impl Into<LazyClient<Client>>, queues: Vec<DeadLetterQueue>) -> Self {
        Self {
            client: client.into(),
            queues,
        }
    }

    async fn receive(
        &self,
        queue: &DeadLetterQueue,
        hide_secs: i32,
    ) -> Result<Vec<Message>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .visibility_timeout(hide_secs)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(sqs_error)?;
        Ok(output.messages.unwrap_or_default())
    }

    async fn release(&self, queue: &DeadLetterQueue, messages: &[Message]) {
        for message in messages {
            if let Some(handle) = message.receipt_handle() {
                let _ = self
                    .client
                    .change_message_visibility()
                    .queue_url(&queue.url)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await;
            }
        }
    }

    /// The tenant's dead letters, left where they are.
    pub async fn peek(&self, tenant: &TenantId) -> Result<Vec<DeadLetterView>, QueueError> {
        let mut found = Vec::new();
        for queue in &self.queues {
            let mut seen = HashSet::new();
            let mut held = Vec::new();
            for _ in 0..MAX_ROUNDS {
                let batch = self.receive(queue, 30).await?;
                if batch.is_empty() {
                    break;
                }
                for message in batch {
                    let id = message.message_id().unwrap_or_default().to_owned();
                    if seen.insert(id.clone()) {
                        if let Some(body) = belongs_to(&message, tenant) {
                            let attribute = |name: MessageSystemAttributeName| {
                                message.attributes().and_then(|a| a.get(&name)).cloned()
                            };
                            found.push(DeadLetterView {
                                queue: queue.name.to_owned(),
                                message_id: id.clone(),
                                receive_count: attribute(
                                    MessageSystemAttributeName::ApproximateReceiveCount,
                                ),
                                sent_timestamp_ms: attribute(
                                    MessageSystemAttributeName::SentTimestamp,
                                ),
                                body,
                            });
                        }
                    }
                    held.push(message);
                }
            }
            self.release(queue, &held).await;
        }
        Ok(found)
    }

    /// Moves the tenant's dead letters back to the queues they came from; returns how many.
    pub async fn redrive(&self, tenant: &TenantId) -> Result<usize, QueueError> {
        let mut moved = 0;
        for queue in &self.queues {
            let mut others = Vec::new();
            for _ in 0..MAX_ROUNDS {
                let batch = self.receive(queue, 30).await?;
                if batch.is_empty() {
                    break;
                }
                for message in batch {
                    if belongs_to(&message, tenant).is_none() {
                        others.push(message);
                        continue;
                    }
                    // Send first, then delete: a crash in between duplicates, never loses; the
                    // consumers are idempotent.
                    // Back to its lane (a delivery retry to the retries queue) and its
                    // tenant's message group, as it was first sent.
                    let body = belongs_to(&message, tenant).unwrap_or_default();
                    let is_retry = body["attempt"].as_u64().is_some_and(|a| a > 1);
                    let target = match &queue.retry_source_url {
                        Some(retries) if is_retry => retries,
                        _ => &queue.source_url,
                    };
                    self.client
                        .send_message()
                        .queue_url(target)
                        .message_body(message.body().unwrap_or_default())
                        .message_group_id(tenant.as_str())
                        .send()
                        .await
                        .map_err(sqs_error)?;
                    if let Some(handle) = message.receipt_handle() {
                        self.client
                            .delete_message()
                            .queue_url(&queue.url)
                            .receipt_handle(handle)
                            .send()
                            .await
                            .map_err(sqs_error)?;
                    }
                    moved += 1;
                }
            }
            self.release(queue, &others).await;
        }
        Ok(moved)
    }
}
