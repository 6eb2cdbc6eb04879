use crate::aws::LazyClient;
use crate::domain::DomainEvent;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;

/// Publishes domain events to the `events` queue, each in its tenant's message group (on AWS an
/// SQS fair queue: one tenant's burst does not hold up another's fan-out).
#[derive(Clone, Debug)]
pub struct EventPublisher {
    client: LazyClient<Client>,
    queue_url: String,
}

impl EventPublisher {
    /// A publisher to `queue_url`.
    pub fn new(client: impl Into<LazyClient<Client>>, queue_url: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            queue_url: queue_url.into(),
        }
    }

    /// Sends events ten per request (SQS's batch limit); returns, per event, whether SQS took it.
    pub async fn publish_all(&self, events: &[DomainEvent]) -> Vec<bool> {
        let mut accepted = vec![false; events.len()];
        for (chunk_index, chunk) in events.chunks(10).enumerate() {
            let entries: Vec<SendMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, event)| {
                    let body = serde_json::to_string(event).ok()?;
                    let event_type = MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value(event.event_type.as_str())
                        .build()
                        .ok()?;
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .message_attributes("event_type", event_type)
                        .message_group_id(event.tenant_id.as_str())
                        .build()
                        .ok()
                })
                .collect();
            match self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => {
                    for ok in output.successful {
                        if let Ok(i) = ok.id.parse::<usize>() {
                            accepted[chunk_index * 10 + i] = true;
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %aws_sdk_sqs::Error::from(err), "event batch not published");
                }
            }
        }
        accepted
    }
}
