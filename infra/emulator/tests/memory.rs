//! The emulator's memory follows what it holds, not how often it was written: moto kept every
//! model object it ever made (each version of each item written) for its dashboard; the launcher
//! stops that, and its census says what is alive.

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use faultline_emulator::{free_port, sdk_config, Emulator};

#[tokio::test]
async fn rewriting_one_item_a_thousand_times_keeps_one_item_alive() {
    // An emulator of its own: the count of live item objects is the whole process's.
    let emulator = Emulator::start(free_port().expect("port")).expect("emulator");
    let client = Client::new(&sdk_config(&emulator.endpoint()).await);
    common::hash_key_table(&client, "memory").await;
    for n in 0..1000 {
        client
            .put_item()
            .table_name("memory")
            .item("pk", AttributeValue::S("the-one".into()))
            .item("n", AttributeValue::N(n.to_string()))
            .item("body", AttributeValue::S("x".repeat(2048)))
            .send()
            .await
            .expect("put");
    }
    let census = emulator.census().expect("the emulator wrote its census");
    let table = &census["dynamodb"]["memory"];
    assert_eq!(table["items"], 1, "{census}");
    let alive = census["item_objects"]
        .as_u64()
        .expect("item objects counted");
    assert!(
        alive < 20,
        "1,000 writes of one item left {alive} item objects alive (moto alone keeps every one)"
    );
}
