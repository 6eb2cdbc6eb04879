use super::QueueError;
use crate::domain::DomainEvent;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

/// Publishes domain events to the `events` queue.
#[derive(Clone, Debug)]
pub struct EventPublisher {
    client: Client,
    queue_url: String,
}

impl EventPublisher {
    /// A publisher to `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// Sends one event; its type rides as a message attribute for filtering and metrics.
    pub async fn publish(&self, event: &DomainEvent) -> Result<(), QueueError> {
        let body = serde_json::to_string(event).map_err(|e| QueueError::Codec(e.to_string()))?;
        let event_type = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(event.event_type.as_str())
            .build()
            .map_err(|e| QueueError::Codec(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("event_type", event_type)
            .send()
            .await
            .map_err(|e| QueueError::Sqs(format!("{}", aws_sdk_sqs::Error::from(e))))?;
        Ok(())
    }
}
