//! The emulator's DynamoDB answers that carry items, which the launcher writes as JSON directly
//! instead of through moto's shape walk: every attribute type comes back as it was written, from
//! every operation that returns items.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnConsumedCapacity, ReturnValue,
};
use aws_sdk_dynamodb::Client;
use faultline_emulator::{sdk_config, shared_emulator};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

async fn table(client: &Client) -> String {
    let name = format!("answers-{}", rand::random::<u32>());
    common::hash_key_table(client, &name).await;
    name
}

/// An item holding every attribute type, binary among them (bytes that are not UTF-8).
fn every_type(pk: &str) -> Item {
    let s = |t: &str| AttributeValue::S(t.to_owned());
    HashMap::from([
        ("pk".to_owned(), s(pk)),
        ("s".to_owned(), s("text ✓")),
        ("empty".to_owned(), s("")),
        ("n".to_owned(), AttributeValue::N("-12.50".to_owned())),
        (
            "b".to_owned(),
            AttributeValue::B(Blob::new(vec![0, 159, 146, 150, 255])),
        ),
        (
            "bs".to_owned(),
            AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
        ),
        (
            "ss".to_owned(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        ),
        (
            "ns".to_owned(),
            AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
        ),
        ("bool".to_owned(), AttributeValue::Bool(false)),
        ("null".to_owned(), AttributeValue::Null(true)),
        (
            "l".to_owned(),
            AttributeValue::L(vec![
                s("x"),
                AttributeValue::L(vec![]),
                AttributeValue::M(HashMap::new()),
            ]),
        ),
        (
            "m".to_owned(),
            AttributeValue::M(HashMap::from([(
                "inner".to_owned(),
                AttributeValue::B(Blob::new(vec![7; 3])),
            )])),
        ),
    ])
}

fn sorted_sets(mut item: Item) -> Item {
    for value in item.values_mut() {
        match value {
            AttributeValue::Ss(v) | AttributeValue::Ns(v) => v.sort(),
            AttributeValue::Bs(v) => v.sort_by(|a, b| a.as_ref().cmp(b.as_ref())),
            _ => {}
        }
    }
    item
}

#[tokio::test]
async fn items_of_every_attribute_type_come_back_as_written_from_every_item_answer() {
    let client = Client::new(&sdk_config(shared_emulator()).await);
    let table = table(&client).await;
    let (a, b) = (every_type("a"), every_type("b"));
    for item in [&a, &b] {
        let put = client
            .put_item()
            .table_name(&table)
            .set_item(Some(item.clone()))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .expect("put");
        assert!(put.consumed_capacity().is_some(), "asked-for members stay");
    }
    let key = |pk: &str| HashMap::from([("pk".to_owned(), AttributeValue::S(pk.to_owned()))]);
    let same = |got: Option<&Item>, want: &Item| {
        assert_eq!(
            sorted_sets(got.cloned().expect("an item")),
            sorted_sets(want.clone())
        )
    };

    let got = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("a")))
        .send()
        .await
        .expect("get");
    same(got.item(), &a);
    let missing = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("none")))
        .send()
        .await
        .expect("get");
    assert!(missing.item().is_none());

    let page = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("b".into()))
        .send()
        .await
        .expect("query");
    assert_eq!(page.count(), 1);
    same(page.items().first(), &b);

    let batch = client
        .batch_get_item()
        .request_items(
            &table,
            KeysAndAttributes::builder()
                .keys(key("a"))
                .keys(key("b"))
                .build()
                .expect("keys"),
        )
        .send()
        .await
        .expect("batch get");
    let mut found = batch
        .responses()
        .and_then(|r| r.get(&table))
        .cloned()
        .unwrap_or_default();
    found.sort_by_key(|item| format!("{:?}", item.get("pk")));
    assert_eq!(found.len(), 2);
    same(found.first(), &a);
    same(found.get(1), &b);

    let old = client
        .update_item()
        .table_name(&table)
        .set_key(Some(key("a")))
        .update_expression("SET n = :n")
        .expression_attribute_values(":n", AttributeValue::N("1".into()))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("update");
    same(old.attributes.as_ref(), &a);

    let deleted = client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key("b")))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .expect("delete");
    same(deleted.attributes.as_ref(), &b);
}
