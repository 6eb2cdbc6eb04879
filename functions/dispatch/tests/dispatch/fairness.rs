//! Fair share between tenants: one tenant's 50,000 failing deliveries wait in the retries lane and
//! do not delay another tenant's first attempt; every task carries its tenant as its message group
//! (on AWS that makes each lane an SQS fair queue).

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use chrono::Utc;
use faultline::domain::{DeliveryTask, DomainEvent, EventType, MessageId};
use faultline::services::fanout::fan_out;
use faultline_dispatch::handle;
use faultline_testkit::{sqs_event, TestStack};
use futures::StreamExt;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How many of the noisy tenant's deliveries are failing and waiting for their retry.
const FAILING: usize = 50_000;

async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// The tenant a queued message is grouped under (its `MessageGroupId`).
fn group_of(message: &aws_sdk_sqs::types::Message) -> Option<&str> {
    message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .map(String::as_str)
}

async fn queue_depth(stack: &TestStack, queue: &str) -> u64 {
    let attributes = stack
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.deployment.physical_ids[queue])
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .expect("attributes");
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn fifty_thousand_failing_deliveries_of_one_tenant_do_not_delay_anothers_first_attempt() {
    let stack = TestStack::deploy().await;
    let (noisy, _) = stack.tenant().await;
    let (quiet, _) = stack.tenant().await;
    let failing = receiver(500).await;
    let healthy = receiver(200).await;
    let (noisy_endpoint, _) = stack
        .endpoint(&noisy, &format!("{}/hook", failing.uri()), vec![], true)
        .await;
    stack
        .endpoint(&quiet, &format!("{}/hook", healthy.uri()), vec![], true)
        .await;

    // The noisy tenant: 50,000 deliveries whose first attempt failed, every retry due now (the
    // worst case: they all compete at once), queued as dispatch queues them.
    let tasks: Vec<DeliveryTask> = (0..FAILING)
        .map(|_| DeliveryTask {
            tenant_id: noisy.clone(),
            message_id: MessageId::generate(),
            endpoint_id: noisy_endpoint.id.clone(),
            attempt: 2,
            not_before: Utc::now(),
        })
        .collect();
    let queued: Vec<bool> = futures::stream::iter(tasks.chunks(500))
        .map(|chunk| async { stack.harness.deliveries.enqueue_now(chunk).await.is_ok() })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(queued.iter().all(|ok| *ok));
    assert_eq!(queue_depth(&stack, "RetriesQueue").await, FAILING as u64);

    // Then the quiet tenant's incident: its first attempt is the next thing the first-attempt
    // consumer receives, ahead of every one of the noisy tenant's retries.
    let event = DomainEvent::new(
        quiet.clone(),
        EventType::IncidentCreated,
        json!({"id": "inc_1", "title": "checkout down"}),
        Utc::now(),
    );
    assert_eq!(
        fan_out(&stack.harness, &event)
            .await
            .expect("fan out")
            .endpoints,
        1
    );
    let first_lane = stack
        .clients
        .sqs
        .receive_message()
        .queue_url(&stack.deployment.physical_ids["DeliveriesQueue"])
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(
        first_lane.len(),
        1,
        "only the quiet tenant's first attempt is in its lane"
    );
    assert_eq!(
        group_of(&first_lane[0]),
        Some(quiet.as_str()),
        "its tenant is its message group"
    );
    let body = first_lane[0].body().unwrap_or_default().to_owned();

    let response = handle(
        &stack.state,
        sqs_event("dispatch/delivery-task.json", &[body]),
    )
    .await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        healthy.received_requests().await.map(|r| r.len()),
        Some(1),
        "delivered on the first receive, whatever the other tenant's backlog"
    );
    assert!(
        failing
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "none of the noisy tenant's retries ran before it"
    );
    assert_eq!(
        queue_depth(&stack, "RetriesQueue").await,
        FAILING as u64,
        "the noisy tenant's retries still wait their turn in their own lane"
    );
    let retry = stack
        .clients
        .sqs
        .receive_message()
        .queue_url(&stack.deployment.physical_ids["RetriesQueue"])
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(group_of(&retry[0]), Some(noisy.as_str()));
}
