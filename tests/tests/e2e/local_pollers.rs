//! The local SQS event source honours partial batch responses (moto's own SQS→Lambda wiring does
//! not): records the function reports stay on the queue for redelivery, the rest are deleted.

use aws_sdk_sqs::types::QueueAttributeName;
use faultline_local::pollers::Poller;
use faultline_testkit::TestStack;

async fn counts(stack: &TestStack, url: &str) -> (String, String) {
    let attributes = stack
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("attributes");
    let get = |name| {
        attributes
            .attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .unwrap_or_default()
    };
    (
        get(QueueAttributeName::ApproximateNumberOfMessages),
        get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

#[tokio::test]
async fn reported_failures_stay_on_the_queue_and_successes_are_deleted() {
    let stack = TestStack::deploy().await;
    let url = stack.deployment.physical_ids["EventsQueue"].clone();
    let (tenant, _) = stack.tenant().await;
    let good = serde_json::json!({
        "id": faultline::domain::EventId::generate(), "tenant_id": tenant, "type": "incident.created",
        "timestamp": "2026-11-21T10:00:00Z", "data": {}
    });
    for body in [good.to_string(), "not an event".to_owned()] {
        stack
            .clients
            .sqs
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .expect("sent");
    }
    let received = stack
        .clients
        .sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("received")
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 2);

    let poller = Poller {
        function: "faultline-fanout".into(),
        queue_url: url.clone(),
        batch_size: 10,
        concurrency: 1,
    };
    poller
        .deliver(&stack.state, &stack.clients.sqs, received)
        .await;

    // The malformed record is still on the queue (in flight until its visibility timeout ends);
    // the good one is gone.
    assert_eq!(counts(&stack, &url).await, ("0".to_owned(), "1".to_owned()));
}
