//! The emulator's SQS, as the launcher runs it: sends and receives no longer scan the queue, and
//! nothing they answer changed (FIFO content-based deduplication holds, the queue's counts are
//! right, a receive hands out each visible message once, a delete removes its message alone).

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use faultline_emulator::{sdk_config, shared_emulator};

async fn count(client: &Client, url: &str, name: QueueAttributeName) -> u64 {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| a.get(&name))
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

/// Sends `batches` batches of 10 messages (bodies `"{batch}-{i}"`), the first of each batch
/// delayed 600 s, in message group `group` when there is one.
async fn fill(client: &Client, url: &str, batches: usize, group: Option<&str>) {
    for batch in 0..batches {
        let entries = (0..10)
            .map(|i| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(format!("{batch}-{i}"))
                    .set_message_group_id(group.map(str::to_owned))
                    .delay_seconds(if i == 0 { 600 } else { 0 })
                    .build()
                    .expect("entry")
            })
            .collect();
        client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("batch");
    }
}

#[tokio::test]
async fn sends_keep_fifo_deduplication_and_the_queue_counts() {
    let client = Client::new(&sdk_config(shared_emulator()).await);
    let suffix = rand::random::<u32>();
    let fifo = client
        .create_queue()
        .queue_name(format!("dedup-{suffix}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .expect("fifo queue")
        .queue_url
        .unwrap_or_default();
    for _ in 0..2 {
        client
            .send_message()
            .queue_url(&fifo)
            .message_body("the same body")
            .message_group_id("g")
            .send()
            .await
            .expect("sent");
    }
    assert_eq!(
        count(
            &client,
            &fifo,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        1,
        "the second identical body is deduplicated"
    );

    let standard = client
        .create_queue()
        .queue_name(format!("counts-{suffix}"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .unwrap_or_default();
    fill(&client, &standard, 30, Some("tenant")).await;
    assert_eq!(
        count(
            &client,
            &standard,
            QueueAttributeName::ApproximateNumberOfMessages
        )
        .await,
        270
    );
    assert_eq!(
        count(
            &client,
            &standard,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed
        )
        .await,
        30
    );
}

#[tokio::test]
async fn receives_hand_out_each_visible_message_once_from_a_deep_queue() {
    let client = Client::new(&sdk_config(shared_emulator()).await);
    let queue = client
        .create_queue()
        .queue_name(format!("deep-{}", rand::random::<u32>()))
        .send()
        .await
        .expect("queue")
        .queue_url
        .unwrap_or_default();
    fill(&client, &queue, 40, None).await;
    let mut received = std::collections::BTreeSet::new();
    let mut receipts = Vec::new();
    loop {
        let messages = client
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("received")
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        assert!(messages.len() <= 10);
        for message in messages {
            receipts.push(message.receipt_handle.clone().unwrap_or_default());
            let body = message.body.unwrap_or_default();
            assert!(!body.ends_with("-0"), "a delayed message was handed out");
            assert!(received.insert(body), "a message was handed out twice");
        }
    }
    assert_eq!(received.len(), 360, "every visible message, once");
    assert_eq!(
        count(
            &client,
            &queue,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        360,
        "received messages are in flight"
    );
    // Deleting: a batch, one message twice (the second is still a success), and a receipt the
    // queue never handed out (refused).
    let entries = receipts[..10]
        .iter()
        .enumerate()
        .map(|(i, receipt)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(receipt)
                .build()
                .expect("entry")
        })
        .collect();
    let deleted = client
        .delete_message_batch()
        .queue_url(&queue)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("batch delete");
    assert_eq!(deleted.successful().len(), 10);
    for _ in 0..2 {
        client
            .delete_message()
            .queue_url(&queue)
            .receipt_handle(&receipts[10])
            .send()
            .await
            .expect("deleted, and deleted again");
    }
    let refused = client
        .delete_message()
        .queue_url(&queue)
        .receipt_handle("never-handed-out")
        .send()
        .await;
    assert!(refused.is_err(), "an unknown receipt handle is refused");
    assert_eq!(
        count(
            &client,
            &queue,
            QueueAttributeName::ApproximateNumberOfMessagesNotVisible
        )
        .await,
        349,
        "the deleted messages are gone"
    );
    assert_eq!(
        count(
            &client,
            &queue,
            QueueAttributeName::ApproximateNumberOfMessagesDelayed
        )
        .await,
        40
    );
}
