//! The emulator's DynamoDB queries, as the launcher runs them (a table query reads its partition
//! alone, an index query no longer sorts the table first): the same answers as DynamoDB — only
//! the partition's items, in sort-key order either way, paginated without loss; an index query
//! across partitions in the index's order.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use faultline_emulator::{sdk_config, shared_emulator};
use std::collections::HashMap;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("key")
}

fn attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute")
}

/// A table like the hub's (`pk`/`sk`, index `gsi1` on `gsi1pk`/`gsi1sk`), items written out of
/// order: partitions a, b, c with sort keys 00..=11, and every item of b and c in index partition
/// `X` with index sort keys running the other way.
async fn table() -> (Client, String) {
    let client = Client::new(&sdk_config(shared_emulator()).await);
    let name = format!("q-{}", rand::random::<u32>());
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            ["pk", "sk", "gsi1pk", "gsi1sk"].map(attribute).to_vec(),
        ))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("index"),
        )
        .send()
        .await
        .expect("table created");
    for n in [7, 3, 11, 0, 5, 9, 1, 10, 2, 8, 4, 6] {
        for pk in ["c", "a", "b"] {
            let mut put = client
                .put_item()
                .table_name(&name)
                .item("pk", s(pk))
                .item("sk", s(&format!("{n:02}")));
            if pk != "a" {
                put = put
                    .item("gsi1pk", s("X"))
                    .item("gsi1sk", s(&format!("{pk}{:02}", 99 - n)));
            }
            put.send().await.expect("put");
        }
    }
    (client, name)
}

type Item = HashMap<String, AttributeValue>;

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

/// Every item of a query, page by page (`limit` a page).
async fn query_all(
    client: &Client,
    table: &str,
    index: Option<&str>,
    partition: &str,
    forward: bool,
    limit: i32,
) -> Vec<Item> {
    let name = if index.is_some() { "gsi1pk" } else { "pk" };
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", name)
            .expression_attribute_values(":p", s(partition))
            .scan_index_forward(forward)
            .limit(limit)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("query");
        items.extend(page.items().iter().cloned());
        match page.last_evaluated_key() {
            Some(key) => start = Some(key.clone()),
            None => return items,
        }
    }
}

#[tokio::test]
async fn a_table_query_answers_its_partition_in_order_and_pages_without_loss() {
    let (client, table) = table().await;
    let expected: Vec<String> = (0..12).map(|n| format!("{n:02}")).collect();
    for limit in [100, 5] {
        let forward = query_all(&client, &table, None, "b", true, limit).await;
        assert!(forward.iter().all(|item| text(item, "pk") == "b"));
        let keys: Vec<String> = forward.iter().map(|i| text(i, "sk")).collect();
        assert_eq!(keys, expected, "forward, {limit} a page");
        let backward = query_all(&client, &table, None, "b", false, limit).await;
        let mut keys: Vec<String> = backward.iter().map(|i| text(i, "sk")).collect();
        keys.reverse();
        assert_eq!(keys, expected, "backward, {limit} a page");
    }
    assert!(query_all(&client, &table, None, "none", true, 5)
        .await
        .is_empty());
}

#[tokio::test]
async fn an_index_query_answers_across_partitions_in_the_indexs_order() {
    let (client, table) = table().await;
    let mut expected: Vec<String> = ["b", "c"]
        .iter()
        .flat_map(|pk| (0..12).map(move |n| format!("{pk}{:02}", 99 - n)))
        .collect();
    expected.sort();
    for limit in [100, 7] {
        let items = query_all(&client, &table, Some("gsi1"), "X", true, limit).await;
        let keys: Vec<String> = items.iter().map(|i| text(i, "gsi1sk")).collect();
        assert_eq!(keys, expected, "{limit} a page");
    }
}
