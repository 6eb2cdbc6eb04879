//! The local SQS event source mapping: long-polls a queue, hands the function real `SqsEvent`
//! batches, deletes what succeeded and leaves the reported failures for redelivery after their
//! visibility timeout — partial batch responses honoured, as in AWS (moto's own wiring ignores
//! them, which is why the stack does its own polling).

use crate::functions::invoke_sqs;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use faultline::AppState;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// One queue → function mapping.
#[derive(Clone, Debug)]
pub struct Poller {
    /// The function's binary name.
    pub function: String,
    /// The queue.
    pub queue_url: String,
    /// Records per batch (at most 10, SQS's receive limit).
    pub batch_size: usize,
    /// Batches in flight at once (Lambda scales pollers too).
    pub concurrency: usize,
}

fn queue_arn(queue_url: &str) -> String {
    let name = queue_url.rsplit('/').next().unwrap_or_default();
    format!(
        "arn:aws:sqs:{}:123456789012:{name}",
        faultline_emulator::REGION
    )
}

/// The event Lambda would deliver for these messages.
pub fn sqs_event(messages: &[Message], queue_url: &str) -> Result<SqsEvent, serde_json::Error> {
    let arn = queue_arn(queue_url);
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes()
                .map(|attrs| {
                    attrs
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            let message_attributes: Map<String, Value> = m
                .message_attributes()
                .map(|attrs| {
                    attrs
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                json!({
                                    "dataType": v.data_type(),
                                    "stringValue": v.string_value(),
                                    "stringListValues": [],
                                    "binaryListValues": [],
                                }),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "md5OfBody": m.md5_of_body(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": faultline_emulator::REGION,
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records }))
}

impl Poller {
    /// Polls until `stop` turns true.
    pub async fn run(
        self,
        state: AppState,
        sqs: aws_sdk_sqs::Client,
        mut stop: watch::Receiver<bool>,
    ) {
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let received = tokio::select! {
                _ = stop.changed() => return,
                received = sqs
                    .receive_message()
                    .queue_url(&self.queue_url)
                    .max_number_of_messages(i32::try_from(self.batch_size.clamp(1, 10)).unwrap_or(10))
                    .wait_time_seconds(1)
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .message_attribute_names("All")
                    .send() => received,
            };
            let messages = match received {
                Ok(output) => output.messages.unwrap_or_default(),
                Err(err) => {
                    tracing::warn!(queue = %self.queue_url, error = %aws_sdk_sqs::Error::from(err), "receive failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            let (state, sqs, poller) = (state.clone(), sqs.clone(), self.clone());
            tokio::spawn(async move {
                poller.deliver(&state, &sqs, messages).await;
                drop(permit);
            });
        }
    }

    /// Hands one received batch to the function, deletes the records it did not report as failed
    /// and leaves the failures for redelivery.
    pub async fn deliver(
        &self,
        state: &AppState,
        sqs: &aws_sdk_sqs::Client,
        messages: Vec<Message>,
    ) {
        let event = match sqs_event(&messages, &self.queue_url) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(error = %err, "could not build the SQS event");
                return;
            }
        };
        let Some(response) = invoke_sqs(state, &self.function, event).await else {
            tracing::error!(function = %self.function, "not an SQS function");
            return;
        };
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if !failed.is_empty() {
            tracing::warn!(function = %self.function, failed = failed.len(), "records left for redelivery");
        }
        if done.is_empty() {
            return;
        }
        if let Err(err) = sqs
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(done))
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_sqs::Error::from(err), "delete failed; records will be redelivered");
        }
    }
}
