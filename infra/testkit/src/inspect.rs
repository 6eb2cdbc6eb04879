//! Looking at what the functions under test left behind: the table, the queues, the archive, the
//! mail SES accepted, and the events the outbox relay publishes.

use super::TestStack;
use faultline_emulator::shared_emulator;
use faultline_emulator::streams::TableStream;
use serde_json::Value;

impl TestStack {
    /// Every item of the table, as text (to prove what is and is not stored). Parked events are
    /// shown inflated, so a search of the text sees what they hold.
    pub async fn table_dump(&self) -> String {
        use aws_sdk_dynamodb::types::AttributeValue;
        use faultline::store::{inflate_events, EVENTS_DEFLATED};
        let scan = self
            .clients
            .dynamodb
            .scan()
            .table_name(&self.harness.config.table)
            .send()
            .await
            .expect("scan");
        let items: Vec<_> = scan
            .items()
            .iter()
            .cloned()
            .map(|mut item| {
                if let Some(AttributeValue::B(deflated)) = item.get(EVENTS_DEFLATED) {
                    let events = inflate_events(deflated.as_ref()).expect("parked events inflate");
                    let json = serde_json::to_string(&events).expect("events encode");
                    item.insert(EVENTS_DEFLATED.into(), AttributeValue::S(json));
                }
                item
            })
            .collect();
        format!("{items:?}")
    }

    /// Hands the outbox relay what the table's stream holds since the last call, as Lambda
    /// would (on the harness's clients, so no function under test is held to the relay's calls):
    /// the events parked since reach the events queue. How many were published.
    pub async fn relay_outbox(&self) -> usize {
        let mut guard = self.outbox.lock().await;
        if guard.is_none() {
            let stream = TableStream::of_table(shared_emulator(), &self.harness.config.table, &[])
                .await
                .expect("the table's stream");
            *guard = Some(stream);
        }
        let Some(stream) = guard.as_mut() else {
            unreachable!("opened above")
        };
        let mut published = 0;
        while let Some(batch) = stream.next_batch(100).await.expect("stream read") {
            let event = serde_json::from_value(batch.event.clone()).expect("a stream event");
            let report = faultline::services::outbox::relay_stream(&self.harness, &event).await;
            assert!(
                report.failed.is_empty(),
                "the relay could not publish: {report:?}"
            );
            stream.settle(&batch, &[]);
            published += report.published;
        }
        published
    }

    /// The events published since the last call: the outbox relayed, then the events queue
    /// drained.
    pub async fn published_events(&self) -> Vec<Value> {
        self.relay_outbox().await;
        self.drain_queue("EventsQueue").await
    }

    /// Publishes what the outbox holds and hands every `deadlock.detected` event to the recording
    /// the fan-out does (on the harness): the deadlock groups are then readable. The events
    /// published, as [`Self::published_events`] returns them.
    pub async fn record_deadlocks(&self) -> Vec<Value> {
        let events = self.published_events().await;
        for event in &events {
            let event: faultline::domain::DomainEvent =
                serde_json::from_value(event.clone()).expect("a domain event");
            faultline::services::deadlocks::record(&self.harness, &event)
                .await
                .expect("recorded");
        }
        events
    }

    /// The tenant's deadlock groups, once the events published so far are recorded.
    pub async fn deadlock_groups(
        &self,
        tenant: &faultline::domain::TenantId,
    ) -> Vec<faultline::domain::deadlock::DeadlockGroup> {
        self.record_deadlocks().await;
        self.harness
            .store
            .deadlock_groups(tenant)
            .await
            .expect("deadlock groups")
    }

    /// Sends `body` to a queue, by logical id (a dead letter, say), as the test's own setup.
    pub async fn send_to_queue(&self, logical_id: &str, body: &Value) {
        self.clients
            .sqs
            .send_message()
            .queue_url(&self.deployment.physical_ids[logical_id])
            .message_body(body.to_string())
            .send()
            .await
            .expect("sent");
    }

    /// Receives (and deletes) every message now visible on a queue, by logical id.
    pub async fn drain_queue(&self, logical_id: &str) -> Vec<Value> {
        let url = &self.deployment.physical_ids[logical_id];
        let mut bodies = Vec::new();
        loop {
            let output = self
                .clients
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for message in messages {
                bodies.push(
                    serde_json::from_str(message.body().unwrap_or("null")).expect("JSON body"),
                );
                self.clients
                    .sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    /// How many inbound deliveries are on record (each keeps its request inline or in S3).
    pub async fn received_requests(&self) -> usize {
        let output = self
            .clients
            .dynamodb
            .scan()
            .table_name(&self.harness.config.table)
            .filter_expression("begins_with(sk, :delivery)")
            .expression_attribute_values(
                ":delivery",
                aws_sdk_dynamodb::types::AttributeValue::S("dlv_".into()),
            )
            .send()
            .await
            .expect("scan deliveries");
        output.items().len()
    }

    /// The raw MIME messages the emulator's SES accepted from `from`, oldest first (read from
    /// the emulator's own state: SES has no API that returns what was sent).
    pub async fn sent_mail(&self, from: &str) -> Vec<String> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", shared_emulator()))
            .await
            .expect("the emulator answers")
            .text()
            .await
            .map(|text| serde_json::from_str(&text).unwrap_or(Value::Null))
            .expect("its state");
        data["ses"]["RawMessage"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["source"] == from)
            .map(|m| m["raw_data"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// How many objects the archive bucket holds.
    pub async fn archived_objects(&self) -> usize {
        let output = self
            .clients
            .s3
            .list_objects_v2()
            .bucket(&self.harness.config.archive_bucket)
            .send()
            .await
            .expect("list objects");
        output.contents().len()
    }
}
