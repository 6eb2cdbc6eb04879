//! Destinations, notification rules and the notification ledger through the api handler, fed
//! the sample events in events/api/.

use crate::call;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "xoxb-0000000000-0000000000000-replacewithyourtoken";

pub(crate) async fn create_destination(
    stack: &TestStack,
    key: Option<&str>,
    body: Value,
) -> (u16, Value) {
    call(
        stack,
        &HttpEvent::load("api/create-destination.json")
            .key(key)
            .body_json(&body),
    )
    .await
}

#[tokio::test]
async fn destinations_are_validated_per_kind_and_never_show_their_secret() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());

    let (status, created) = call(
        &stack,
        &HttpEvent::load("api/create-destination.json").key(key),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "slack_bot");
    assert_eq!(created["channel"], "C0123456789");
    assert_eq!(created["secret_masked"], "xoxb-****");
    assert!(!created.to_string().contains(TOKEN));
    assert!(!stack.table_dump().await.contains(TOKEN), "stored sealed");

    for (body, field) in [
        (json!({"name": "x", "kind": "pager"}), "kind"),
        (
            json!({"name": "x", "kind": "slack_bot", "token": TOKEN}),
            "channel",
        ),
        (
            json!({"name": "x", "kind": "slack_bot", "token": TOKEN, "channel": "#alerts"}),
            "channel",
        ),
        (
            json!({"name": "x", "kind": "slack_bot", "token": "xoxp-user-token", "channel": "C0123456789"}),
            "token",
        ),
        (json!({"name": "x", "kind": "slack_webhook"}), "url"),
        (
            json!({"name": "x", "kind": "slack_webhook", "url": "http://10.0.0.8/hook"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "teams", "url": "ftp://example.com"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "email", "to": ["oncall@example.com"], "url": "https://example.com"}),
            "url",
        ),
        (
            json!({"name": "x", "kind": "email", "to": ["not an address"]}),
            "to",
        ),
        (json!({"name": "x", "kind": "email", "to": []}), "to"),
        (
            json!({"name": "x", "kind": "email", "to": vec!["a@example.com"; 51]}),
            "to",
        ),
        (
            json!({"name": "", "kind": "email", "to": ["a@example.com"]}),
            "name",
        ),
        (
            json!({"name": "x", "kind": "email", "to": ["a@example.com"], "colour": "red"}),
            "colour",
        ),
    ] {
        let (status, problem) = create_destination(&stack, key, body.clone()).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}: {problem}"
        );
    }

    let id = created["id"].as_str().expect("id");
    let new_token = "xoxb-1111111111-1111111111111-anothertokenvalue";
    let (status, updated) = call(
        &stack,
        &HttpEvent::load("api/update-destination.json")
            .path_param("id", id)
            .key(key)
            .body_json(&json!({"token": new_token, "enabled": false})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["enabled"].as_bool(), updated["channel"].as_str()),
        (Some(false), Some("C0123456789"))
    );
    assert!(!stack.table_dump().await.contains(new_token));
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/update-destination.json")
            .path_param("id", id)
            .key(key)
            .body_json(&json!({"to": ["a@example.com"]})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("to")),
        "the kind cannot change"
    );
    let (status, listed) = call(
        &stack,
        &HttpEvent::load("api/list-destinations.json").key(key),
    )
    .await;
    assert_eq!(
        (status, listed["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let delete = HttpEvent::load("api/delete-destination.json")
        .path_param("id", id)
        .key(key);
    assert_eq!(call(&stack, &delete).await.0, 204);
    assert_eq!(call(&stack, &delete).await.0, 404);
}

#[tokio::test]
async fn a_destination_test_sends_a_marked_message_and_answers_what_the_provider_said() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let key = Some(key.expose());
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/down"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .mount(&server)
        .await;
    let mut ids = Vec::new();
    for hook in ["ok", "down"] {
        let body = json!({"name": hook, "kind": "slack_webhook", "url": format!("{}/services/{hook}", server.uri())});
        let (status, created) = create_destination(&stack, key, body).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }

    let test = |id: &str| {
        HttpEvent::load("api/test-destination.json")
            .path_param("id", id)
            .key(key)
    };
    let (status, sent) = call(&stack, &test(&ids[0])).await;
    assert_eq!(
        (status, sent["status"].as_str()),
        (200, Some("sent")),
        "{sent}"
    );
    let (status, failed) = call(&stack, &test(&ids[1])).await;
    assert_eq!(
        (status, failed["status"].as_str()),
        (200, Some("failed")),
        "{failed}"
    );
    assert_eq!(
        (
            failed["status_code"].as_u64(),
            failed["retryable"].as_bool()
        ),
        (Some(503), Some(true))
    );

    let requests = server.received_requests().await.unwrap_or_default();
    let message: Value = serde_json::from_slice(&requests[0].body).expect("JSON");
    assert!(
        message["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Test notification for ok"),
        "{message}"
    );
    let (status, ledger) = call(
        &stack,
        &HttpEvent::load("api/list-notifications.json")
            .query(&format!("destination_id={}", ids[1]))
            .key(key),
    )
    .await;
    assert_eq!(status, 200);
    let items = ledger["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{ledger}");
    assert_eq!(items[0]["status"], "failed");
    let _ = tenant;
}

#[tokio::test]
async fn rules_name_existing_destinations_and_list_in_evaluation_order() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    let (_, destination) = create_destination(
        &stack,
        key,
        json!({"name": "mail", "kind": "email", "to": ["oncall@example.com"]}),
    )
    .await;
    let dst = destination["id"].as_str().expect("id");
    let create = |body: Value| {
        HttpEvent::load("api/create-notification-rule.json")
            .key(key)
            .body_json(&body)
    };

    for (body, field) in [
        (
            json!({"name": "x", "destinations": ["dst_01JD0000000000000000000000"]}),
            "destinations",
        ),
        (json!({"name": "x", "destinations": []}), "destinations"),
        (
            json!({"name": "x", "destinations": [dst], "matchers": {"min_severity": "urgent"}}),
            "matchers.min_severity",
        ),
        (
            json!({"name": "x", "destinations": [dst], "matchers": {"event_types": ["ping"]}}),
            "matchers.event_types",
        ),
        (
            json!({"name": "x", "destinations": [dst], "matchers": {"sources": ["datadog"]}}),
            "matchers.sources",
        ),
        (
            json!({"name": "x", "destinations": [dst], "throttle": {"repeat_interval_minutes": 0}}),
            "throttle.repeat_interval_minutes",
        ),
        (
            json!({"name": "x", "destinations": [dst], "matchers": {"colour": "red"}}),
            "matchers",
        ),
    ] {
        let (status, problem) = call(&stack, &create(body.clone())).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(
            problem["field"]
                .as_str()
                .unwrap_or_default()
                .starts_with(field),
            "{body}: {problem}"
        );
    }

    let (status, fallback) = call(&stack, &create(json!({"name": "everything else", "destinations": [dst], "fallback": true, "position": 1}))).await;
    assert_eq!(status, 201, "{fallback}");
    let (status, first) = call(
        &stack,
        &create(json!({
            "name": "critical payments", "destinations": [dst, dst], "continue": true,
            "matchers": {"min_severity": "critical", "services": ["payments"]},
            "throttle": {"once_until_resolved": true}
        })),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["destinations"], json!([dst]), "named once");
    assert_eq!(first["continue"], true);
    assert_eq!(first["matchers"]["min_severity"], "critical");
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-notification-rules.json").key(key),
    )
    .await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["critical payments", "everything else"],
        "fallbacks after every other rule"
    );

    let id = first["id"].as_str().expect("id");
    let (status, updated) = call(
        &stack,
        &HttpEvent::load("api/update-notification-rule.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(
        (status, updated["position"].as_u64()),
        (200, Some(5)),
        "{updated}"
    );
    assert_eq!(updated["throttle"]["once_until_resolved"], true);
    let delete = HttpEvent::load("api/delete-notification-rule.json")
        .path_param("id", id)
        .key(key);
    assert_eq!(call(&stack, &delete).await.0, 204);
    assert_eq!(call(&stack, &delete).await.0, 404);
}

#[tokio::test]
async fn the_notification_ledger_refuses_malformed_filters() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    for (name, value) in [
        ("status", "exploded"),
        ("incident_id", "nope"),
        ("destination_id", "ep_01JD0000000000000000000000"),
    ] {
        let (status, problem) = call(
            &stack,
            &HttpEvent::load("api/list-notifications.json")
                .query(&format!("{name}={value}"))
                .key(key),
        )
        .await;
        assert_eq!(status, 400, "{name}={value}: {problem}");
        assert_eq!(problem["field"], name, "{problem}");
    }
}

#[tokio::test]
async fn an_email_destination_test_goes_through_ses() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    let from = format!(
        "hub-{}@faultline.example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    stack
        .clients
        .ses
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("sender verified");
    let (_, destination) = create_destination(
        &stack,
        key,
        json!({"name": "sre", "kind": "email", "to": ["sre@example.com"]}),
    )
    .await;
    let sender = from.clone();
    let state = stack.function_state_with(move |config| config.email_from = Some(sender));

    let event = HttpEvent::load("api/test-destination.json")
        .path_param("id", destination["id"].as_str().expect("id"))
        .key(key);
    let (status, sent) =
        faultline_testkit::json_of(&faultline_api::handle(&state, event.request()).await);

    assert_eq!(
        (status, sent["status"].as_str()),
        (200, Some("sent")),
        "{sent}"
    );
    let mail = stack.sent_mail(&from).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: [Faultline] Test notification for sre"),
        "{}",
        mail[0]
    );
}

#[tokio::test]
async fn smtp_destinations_are_checked_and_keep_their_password_sealed() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let key = Some(key.expose());
    let smtp = |extra: Value| {
        let mut body = json!({"name": "ops", "kind": "smtp", "host": "smtp.example.com",
            "username": "faultline", "password": "s3cret-smtp-passw0rd",
            "from": "faultline@example.com", "to": ["ops@example.com"]});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                if v.is_null() {
                    body.remove(k);
                } else {
                    body.insert(k.clone(), v.clone());
                }
            }
        }
        body
    };
    for (extra, field) in [
        (json!({"from": null}), "from"),
        (json!({"username": null}), "username"),
        (json!({"security": "ssl3"}), "security"),
        (json!({"host": "smtp example com"}), "host"),
        (json!({"url": "https://example.com"}), "url"),
    ] {
        let (status, problem) = create_destination(&stack, key, smtp(extra.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{extra}: {problem}"
        );
    }
    let (status, created) = create_destination(&stack, key, smtp(json!({}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (created["kind"].as_str(), created["secret_masked"].as_str()),
        (Some("smtp"), Some("****"))
    );
    assert!(
        !stack.table_dump().await.contains("s3cret-smtp-passw0rd"),
        "stored sealed"
    );
    let (status, updated) = call(
        &stack,
        &HttpEvent::load("api/update-destination.json")
            .path_param("id", created["id"].as_str().expect("id"))
            .key(key)
            .body_json(&json!({"to": ["sre@example.com"], "port": 2525})),
    )
    .await;
    assert_eq!(
        (status, updated["to"][0].as_str()),
        (200, Some("sre@example.com")),
        "{updated}"
    );
}
