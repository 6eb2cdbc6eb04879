//! The api handler's endpoint and delivery-engine routes, fed the sample events in events/api/,
//! against a stack on the emulator.

use crate::call;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

#[tokio::test]
async fn endpoints_show_their_secret_once_validate_input_and_can_be_changed_and_deleted() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());

    let (status, created) = call(
        &stack,
        &HttpEvent::load("api/create-endpoint.json").key(key),
    )
    .await;
    assert_eq!(status, 201);
    assert!(created["secret"]
        .as_str()
        .unwrap_or_default()
        .starts_with("whsec_"));
    let id = created["id"].as_str().expect("id");
    let (_, shown) = call(
        &stack,
        &HttpEvent::load("api/get-endpoint.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert!(
        shown.get("secret").is_none(),
        "the secret is never shown again"
    );
    assert_eq!(
        shown["event_types"],
        json!(["incident.created", "incident.resolved"])
    );

    for (body, field) in [
        (json!({"url": "ftp://example.com"}), "url"),
        (json!({"url": "http://10.0.0.8/hook"}), "url"),
        (json!({"url": "http://169.254.169.254/latest"}), "url"),
        (
            json!({"url": "https://example.com", "event_types": ["incident.exploded"]}),
            "event_types",
        ),
        (
            json!({"url": "https://example.com", "colour": "red"}),
            "colour",
        ),
        (json!({"description": "no url"}), "url"),
        (json!({"url": 5}), "url"),
        (
            json!({"url": "https://example.com", "headers": {"webhook-signature": "v1,forged"}}),
            "headers",
        ),
        (
            json!({"url": "https://example.com", "headers": {"x-bad": "line\nbreak"}}),
            "headers",
        ),
    ] {
        let (status, problem) = call(
            &stack,
            &HttpEvent::load("api/create-endpoint.json")
                .key(key)
                .body_json(&body),
        )
        .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }

    let (status, updated) = call(
        &stack,
        &HttpEvent::load("api/update-endpoint.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!((status, updated["enabled"].as_bool()), (200, Some(false)));
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-endpoint.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-endpoint.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_event_catalogue_lists_every_type_with_a_schema() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let (status, catalogue) = call(
        &stack,
        &HttpEvent::load("api/list-event-types.json").key(Some(key.expose())),
    )
    .await;
    assert_eq!(status, 200);
    let items = catalogue["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), faultline::domain::EventType::ALL.len());
    let created = items
        .iter()
        .find(|i| i["type"] == "incident.created")
        .expect("incident.created");
    assert_eq!(created["schema"]["type"], "object");
    assert!(created["schema"]["required"]
        .as_array()
        .is_some_and(|r| r.contains(&json!("id"))));
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/list-event-types.json").key(None),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn dead_letters_are_visible_and_redriven_per_tenant() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let (other, other_key) = stack.tenant().await;
    let send = |queue: &'static str, body: Value| {
        let stack = &stack;
        async move { stack.send_to_queue(queue, &body).await }
    };
    send(
        "EventsDeadLetterQueue",
        json!({"tenant_id": tenant, "type": "incident.created", "id": "evt_mine"}),
    )
    .await;
    send(
        "EventsDeadLetterQueue",
        json!({"tenant_id": other, "type": "incident.created", "id": "evt_theirs"}),
    )
    .await;
    send(
        "DeliveriesDeadLetterQueue",
        json!({"tenant_id": tenant, "attempt": 3}),
    )
    .await;
    send(
        "DeliveriesDeadLetterQueue",
        json!({"tenant_id": tenant, "attempt": 1}),
    )
    .await;
    send(
        "NotifyDeadLetterQueue",
        json!({"tenant_id": tenant, "destination_id": "dst_01JD0000000000000000000000", "attempt": 7}),
    )
    .await;

    let (status, listed) = call(
        &stack,
        &HttpEvent::load("api/list-dead-letters.json").key(Some(key.expose())),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let mut queues: Vec<&str> = listed["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|x| x["queue"].as_str()).collect())
        .unwrap_or_default();
    queues.sort_unstable();
    assert_eq!(
        queues,
        vec!["deliveries", "deliveries", "events", "notifications"]
    );
    assert!(!listed.to_string().contains("evt_theirs"));

    let (status, redriven) = call(
        &stack,
        &HttpEvent::load("api/redrive-dead-letters.json").key(Some(key.expose())),
    )
    .await;
    assert_eq!((status, redriven["redriven"].as_u64()), (202, Some(4)));
    let notifications = stack.drain_queue("NotifyQueue").await;
    assert_eq!(
        notifications.len(),
        1,
        "a notification goes back to the notify queue"
    );
    let events = stack.published_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], "evt_mine");
    let first = stack.drain_queue("DeliveriesQueue").await;
    let retries = stack.drain_queue("RetriesQueue").await;
    assert_eq!(
        (first.len(), first[0]["attempt"].as_u64()),
        (1, Some(1)),
        "a first attempt goes back to the first-attempt lane"
    );
    assert_eq!(
        (retries.len(), retries[0]["attempt"].as_u64()),
        (1, Some(3)),
        "a retry goes back to the retries lane"
    );

    let (_, theirs) = call(
        &stack,
        &HttpEvent::load("api/list-dead-letters.json").key(Some(other_key.expose())),
    )
    .await;
    assert_eq!(
        theirs["items"].as_array().map(Vec::len),
        Some(1),
        "the other tenant's dead letter stays"
    );
    let (_, mine) = call(
        &stack,
        &HttpEvent::load("api/list-dead-letters.json").key(Some(key.expose())),
    )
    .await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn custom_header_values_are_sealed_masked_revealed_only_to_writers_and_never_audited() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let admin = Some(admin.expose());
    const TOKEN: &str = "Bearer receiver-credential-4242";
    let (status, created) = call(
        &stack,
        &HttpEvent::load("api/create-endpoint.json")
            .key(admin)
            .body_json(&json!({
                "url": "https://example.com/hooks",
                "headers": {"Authorization": TOKEN, "X-Team": "payments"}
            })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["headers"],
        json!({"authorization": "Bear****", "x-team": "****"}),
        "masked: the first four characters of long values only"
    );
    let id = created["id"].as_str().expect("id").to_owned();
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-endpoints.json").key(admin),
    )
    .await;
    assert_eq!(listed["items"][0]["headers"]["authorization"], "Bear****");

    let reveal = |key: Option<&str>| {
        HttpEvent::load("api/get-endpoint-headers.json")
            .path_param("id", &id)
            .key(key)
    };
    let (status, revealed) = call(&stack, &reveal(admin)).await;
    assert_eq!(status, 200, "{revealed}");
    assert_eq!(
        revealed["headers"],
        json!({"authorization": TOKEN, "x-team": "payments"})
    );
    let (reader, _) = faultline::services::api_keys::issue_api_key(
        &stack.state,
        &tenant,
        "reader",
        vec![faultline::domain::Scope::EndpointsRead],
    )
    .await
    .expect("key");
    let (status, problem) = call(&stack, &reveal(Some(reader.expose()))).await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("endpoints:write"))
    );

    // A change re-seals; neither the audit log nor the table holds a value in clear.
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/update-endpoint.json")
            .path_param("id", &id)
            .key(admin)
            .body_json(&json!({"headers": {"Authorization": "Bearer a-new-credential-77"}})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(admin)
            .query(&format!("resource_id={id}")),
    )
    .await;
    let change = log["items"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["action"] == "PATCH /v1/endpoints/{id}")
        })
        .expect("the change is audited");
    assert_eq!(
        change["diff"]["headers"]["after"],
        json!({"authorization": "Bear****"}),
        "audited masked"
    );
    let dump = stack.table_dump().await;
    for secret in ["receiver-credential-4242", "a-new-credential-77"] {
        assert!(!log.to_string().contains(secret), "audited in clear");
        assert!(!dump.contains(secret), "stored in clear");
    }
}

#[tokio::test]
async fn a_tenant_has_at_most_its_max_endpoints() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());
    let (status, changed) = call(
        &stack,
        &HttpEvent::load("api/update-tenant.json")
            .path_param("id", tenant.as_str())
            .key(k)
            .body_json(&json!({"max_endpoints": 2, "inbound_rate_limit_per_minute": 50})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["settings"]["max_endpoints"], 2);
    assert_eq!(changed["settings"]["inbound_rate_limit_per_minute"], 50);
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/update-tenant.json")
            .path_param("id", tenant.as_str())
            .key(k)
            .body_json(&json!({"max_endpoints": 0})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("max_endpoints"))
    );
    for _ in 0..2 {
        let (status, _) = call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
        assert_eq!(status, 201);
    }
    let (status, problem) = call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("max_endpoints"));
}
