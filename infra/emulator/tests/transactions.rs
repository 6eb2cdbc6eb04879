//! The emulator's DynamoDB transactions, as the launcher runs them: a transaction whose condition
//! fails leaves every item as it was, one that succeeds applies all, and racing conditional
//! writers never lose an update (moto alone restored whole-table copies and raced).

mod common;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use faultline_emulator::{sdk_config, shared_emulator};

async fn table() -> (Client, String) {
    let client = Client::new(&sdk_config(shared_emulator()).await);
    let name = format!("tx-{}", rand::random::<u32>());
    common::hash_key_table(&client, &name).await;
    (client, name)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

async fn put(client: &Client, table: &str, pk: &str, v: u64) {
    client
        .put_item()
        .table_name(table)
        .item("pk", s(pk))
        .item("v", n(v))
        .send()
        .await
        .expect("put");
}

async fn value(client: &Client, table: &str, pk: &str) -> Option<u64> {
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .expect("get")
        .item?;
    item.get("v")?.as_n().ok()?.parse().ok()
}

fn set_v(table: &str, pk: &str, v: u64, condition: Option<u64>) -> TransactWriteItem {
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .update_expression("SET v = :new")
        .expression_attribute_values(":new", n(v));
    if let Some(expected) = condition {
        update = update
            .condition_expression("v = :expected")
            .expression_attribute_values(":expected", n(expected));
    }
    TransactWriteItem::builder()
        .update(update.build().expect("update"))
        .build()
}

#[tokio::test]
async fn a_failed_condition_changes_nothing_and_a_success_applies_everything() {
    let (client, table) = table().await;
    put(&client, &table, "a", 1).await;
    put(&client, &table, "b", 1).await;

    let refused = client
        .transact_write_items()
        .transact_items(set_v(&table, "a", 2, None))
        .transact_items(set_v(&table, "b", 2, Some(5)))
        .send()
        .await;
    let err = refused.expect_err("the condition on b fails");
    assert!(
        format!("{err:?}").contains("TransactionCanceled"),
        "{err:?}"
    );
    assert_eq!(value(&client, &table, "a").await, Some(1), "a untouched");
    assert_eq!(value(&client, &table, "b").await, Some(1), "b untouched");

    client
        .transact_write_items()
        .transact_items(set_v(&table, "a", 2, Some(1)))
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&table)
                        .item("pk", s("c"))
                        .item("v", n(7))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .expect("put"),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&table)
                        .key("pk", s("b"))
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .send()
        .await
        .expect("every condition holds");
    assert_eq!(value(&client, &table, "a").await, Some(2));
    assert_eq!(value(&client, &table, "b").await, None);
    assert_eq!(value(&client, &table, "c").await, Some(7));
}

#[tokio::test]
async fn racing_conditional_writers_never_lose_an_update() {
    let (client, table) = table().await;
    // A table of some size: moto copied whole tables per transaction, which widened the race.
    futures::future::join_all((0..400).map(|i| {
        let (client, table) = (client.clone(), table.clone());
        async move { put(&client, &table, &format!("filler-{i}"), i).await }
    }))
    .await;
    put(&client, &table, "counter", 0).await;
    put(&client, &table, "other", 0).await;
    let writers = (0..16).map(|_| {
        let (client, table) = (client.clone(), table.clone());
        async move {
            loop {
                let seen = value(&client, &table, "counter").await.expect("counter");
                let written = client
                    .transact_write_items()
                    .transact_items(set_v(&table, "counter", seen + 1, Some(seen)))
                    .send()
                    .await;
                if written.is_ok() {
                    return;
                }
                // Someone else won this round; a failed transaction of ours must not undo
                // theirs.
                let probe = client
                    .transact_write_items()
                    .transact_items(set_v(&table, "other", 1, Some(99)))
                    .send()
                    .await;
                assert!(probe.is_err());
            }
        }
    });
    futures::future::join_all(writers).await;
    assert_eq!(value(&client, &table, "counter").await, Some(16));
}
