//! The audit log: every mutating call with its changed fields (secrets redacted), every refused
//! credential, request id and source IP, filters, and a hash chain that exposes tampering done
//! directly in DynamoDB.

use crate::call;
use aws_sdk_dynamodb::types::AttributeValue;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

#[tokio::test]
async fn changes_and_refusals_are_audited_and_tampering_is_detected() {
    let stack = TestStack::deploy().await;
    stack.set_admin_key("sk_platformadm1_correct-horse").await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());

    let (_, endpoint) = call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let secret = endpoint["secret"].as_str().expect("secret").to_owned();
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/update-endpoint.json")
            .path_param("id", &id)
            .key(k)
            .body_json(&json!({"url": "https://hooks.example.com/v2"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, rotated) = call(
        &stack,
        &HttpEvent::load("api/rotate-endpoint-secret.json")
            .path_param("id", &id)
            .key(k),
    )
    .await;
    let new_secret = rotated["secret"].as_str().expect("new secret").to_owned();
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-endpoint.json")
            .path_param("id", &id)
            .key(k),
    )
    .await;
    assert_eq!(status, 204);
    // Refusals: a wrong secret for a real key id, a key lacking a scope, an unknown key.
    let wrong = format!("sk_{}_not-the-secret", key.id());
    call(
        &stack,
        &HttpEvent::load("api/list-endpoints.json").key(Some(&wrong)),
    )
    .await;
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::IncidentsRead])
        .await
        .expect("key");
    call(
        &stack,
        &HttpEvent::load("api/create-endpoint.json").key(Some(reader.expose())),
    )
    .await;
    call(
        &stack,
        &HttpEvent::load("api/list-endpoints.json").key(Some("sk_nobodyatall1_x")),
    )
    .await;

    // Refused credentials are counted, then folded into the chain (by the outbox relay).
    let later = stack.state.clock.now() + chrono::Duration::minutes(2);
    stack
        .harness
        .store
        .fold_refusals(later)
        .await
        .expect("fold");
    let (status, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json").key(k).query(""),
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let entries: Vec<Value> = log["items"].as_array().expect("items").clone();
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "auth.failed",
            "POST /v1/endpoints",
            "DELETE /v1/endpoints/{id}",
            "POST /v1/endpoints/{id}/rotate-secret",
            "PATCH /v1/endpoints/{id}",
            "POST /v1/endpoints",
        ],
        "newest first; the unknown key is on the platform's chain, not this tenant's"
    );
    let created = &entries[5];
    assert_eq!(created["actor"], format!("key:{}", key.id()));
    assert_eq!(created["resource_type"], "endpoints");
    assert_eq!(created["resource_id"], id.as_str());
    assert_eq!(created["status"], 201);
    assert_eq!(created["request_id"], "JKJaXmPLvHcESHA=");
    assert_eq!(created["source_ip"], "203.0.113.10");
    assert_eq!(created["diff"]["secret"]["after"], "[redacted]");
    assert_eq!(created["diff"]["url"]["before"], Value::Null);
    let patched = &entries[4];
    assert_eq!(
        patched["diff"]["url"],
        json!({"before": endpoint["url"], "after": "https://hooks.example.com/v2"})
    );
    assert!(
        patched["diff"].get("event_types").is_none(),
        "unchanged fields are left out"
    );
    let deleted = &entries[2];
    assert_eq!(deleted["diff"]["url"]["after"], Value::Null);
    assert_eq!(
        deleted["diff"]["url"]["before"],
        "https://hooks.example.com/v2"
    );
    let refused = &entries[0];
    assert_eq!(
        (refused["status"].as_u64(), refused["actor"].as_str()),
        (Some(401), Some(format!("key:{}", key.id()).as_str()))
    );
    assert_eq!(entries[1]["status"], 403, "the scope refusal");
    assert_eq!(entries[1]["actor"], format!("key:{}", reader.id()));
    let text = log.to_string();
    assert!(
        !text.contains(&secret) && !text.contains(&new_secret),
        "no secret in the log"
    );

    let (_, filtered) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(k)
            .query(&format!(
                "resource_id={id}&action=PATCH%20/v1/endpoints/%7Bid%7D"
            )),
    )
    .await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));

    let (_, platform) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(Some("sk_platformadm1_correct-horse"))
            .query(""),
    )
    .await;
    assert!(
        platform["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["actor"] == "key:nobodyatall1"),
        "{platform}"
    );

    let verify = || HttpEvent::load("api/verify-audit.json").key(k);
    let (_, report) = call(&stack, &verify()).await;
    // Reading the log and verifying are not mutations: still six entries.
    assert_eq!(
        report,
        json!({"entries": 6, "valid": true, "broken_at": null, "reason": null,
               "from_seq": 1, "verified_through": 6, "complete": true})
    );
    // The next verification starts after the checkpoint the first one left.
    let (_, report) = call(&stack, &verify()).await;
    assert_eq!(
        (&report["entries"], &report["from_seq"], &report["valid"]),
        (&json!(0), &json!(7), &json!(true))
    );

    // Someone with table access rewrites history: entry 2 now claims a different URL.
    stack
        .clients
        .dynamodb
        .update_item()
        .table_name(&stack.state.config.table)
        .key("pk", AttributeValue::S(format!("TENANT#{tenant}#AUDIT")))
        .key("sk", AttributeValue::S("E#000000000002".into()))
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "source_ip")
        .expression_attribute_values(":s", AttributeValue::S("198.51.100.7".into()))
        .send()
        .await
        .expect("tamper");
    // An incremental verification checks what came after its checkpoint; `full=true` re-reads
    // everything and finds the edit.
    let (_, report) = call(&stack, &verify().query("full=true")).await;
    assert_eq!(report["valid"], false, "{report}");
    assert_eq!(report["broken_at"], 2);
    assert!(report["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("edited"));

    let (status, problem) = call(&stack, &verify().key(Some(reader.expose()))).await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("audit:read"))
    );
}

#[tokio::test]
async fn an_entry_whose_append_fails_after_the_change_is_parked_and_appended_by_the_relay() {
    let clock = faultline::clock::Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());
    let (status, _) = call(&stack, &HttpEvent::load("api/create-project.json").key(k)).await;
    assert_eq!(status, 201);
    // Something occupies the next entry's place: every append loses its race and gives up.
    let pk = AttributeValue::S(format!("TENANT#{tenant}#AUDIT"));
    let sk = AttributeValue::S("E#000000000002".into());
    stack
        .clients
        .dynamodb
        .put_item()
        .table_name(&stack.state.config.table)
        .item("pk", pk.clone())
        .item("sk", sk.clone())
        .send()
        .await
        .expect("block");
    let (status, endpoint) =
        call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
    assert_eq!(status, 201, "the change is made: {endpoint}");
    let (seq, _) = stack
        .state
        .store
        .audit_head_position(&faultline::store::AuditChain::Tenant(tenant.clone()))
        .await
        .expect("head")
        .expect("a head");
    assert_eq!(seq, 1, "its entry is not on the chain yet");

    stack
        .clients
        .dynamodb
        .delete_item()
        .table_name(&stack.state.config.table)
        .key("pk", pk)
        .key("sk", sk)
        .send()
        .await
        .expect("unblock");
    let early = faultline::services::outbox::relay_pending(&stack.harness)
        .await
        .expect("relay");
    assert_eq!(
        early.audit_found, 0,
        "within the grace period its request may still be settling it"
    );
    clock.advance(chrono::Duration::minutes(3));
    let report = faultline::services::outbox::relay_pending(&stack.harness)
        .await
        .expect("relay");
    assert_eq!((report.audit_found, report.audit_appended), (1, 1));
    let (_, log) = call(&stack, &HttpEvent::load("api/list-audit.json").key(k)).await;
    assert_eq!(log["items"][0]["action"], "POST /v1/endpoints", "{log}");
    assert_eq!(log["items"][0]["resource_id"], endpoint["id"]);
    let (_, report) = call(
        &stack,
        &HttpEvent::load("api/verify-audit.json")
            .key(k)
            .query("full=true"),
    )
    .await;
    assert_eq!(
        (&report["valid"], &report["entries"]),
        (&json!(true), &json!(2))
    );
    let again = faultline::services::outbox::relay_pending(&stack.harness)
        .await
        .expect("relay");
    assert_eq!(again.audit_found, 0, "appended once, then gone");
}

#[tokio::test]
async fn a_flood_of_refused_credentials_is_one_entry_per_minute_and_never_touches_the_head() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());
    call(&stack, &HttpEvent::load("api/create-project.json").key(k)).await;
    let chain = faultline::store::AuditChain::Tenant(tenant.clone());
    let head = stack
        .state
        .store
        .audit_head_position(&chain)
        .await
        .expect("head");
    // Someone who knows the key's id, not its secret, hammers the API from one address.
    let forged = format!("sk_{}_guessing", key.id());
    for _ in 0..40 {
        let (status, _) = call(
            &stack,
            &HttpEvent::load("api/list-endpoints.json")
                .key(Some(&forged))
                .source_ip("198.51.100.66"),
        )
        .await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        stack
            .state
            .store
            .audit_head_position(&chain)
            .await
            .expect("head"),
        head,
        "refusals never moved the tenant's chain head"
    );
    let later = stack.state.clock.now() + chrono::Duration::minutes(2);
    let folded = stack
        .harness
        .store
        .fold_refusals(later)
        .await
        .expect("fold");
    assert!((1..=2).contains(&folded), "{folded}");
    let (_, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json")
            .key(k)
            .query("action=auth.failed"),
    )
    .await;
    let entries = log["items"].as_array().expect("items");
    assert_eq!(entries.len(), folded);
    assert!(entries
        .iter()
        .all(|e| e["source_ip"] == "198.51.100.66" && e["actor"] == format!("key:{}", key.id())));
    let total: u64 = entries
        .iter()
        .map(|e| {
            e["detail"]
                .as_str()
                .and_then(|d| d.split_once(" refused requests"))
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or(1)
        })
        .sum();
    assert_eq!(total, 40, "{log}");
    let (_, report) = call(&stack, &HttpEvent::load("api/verify-audit.json").key(k)).await;
    assert_eq!(report["valid"], true, "{report}");
}

/// The items waiting in the parked-audit partition.
async fn parked(stack: &TestStack) -> usize {
    stack
        .clients
        .dynamodb
        .query()
        .table_name(&stack.state.config.table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("AUDIT#PARKED".into()))
        .send()
        .await
        .expect("query")
        .count() as usize
}

#[tokio::test]
async fn a_mutating_call_parks_its_intent_first_and_settles_it_with_its_entry() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let k = Some(key.expose());

    let (status, _) = call(&stack, &HttpEvent::load("api/create-project.json").key(k)).await;

    assert_eq!(status, 201);
    assert_eq!(
        parked(&stack).await,
        0,
        "the intent left in the entry's transaction"
    );
    let (seq, _) = stack
        .state
        .store
        .audit_head_position(&faultline::store::AuditChain::Tenant(tenant))
        .await
        .expect("head")
        .expect("a head");
    assert_eq!(seq, 1, "one entry, not two");
}

#[tokio::test]
async fn a_request_that_stopped_before_answering_is_still_on_the_chain() {
    use faultline::domain::audit::AuditDraft;
    let clock = faultline::clock::Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1", clock.clone()).await;
    let (tenant, key) = stack.tenant().await;
    let chain = faultline::store::AuditChain::Tenant(tenant.clone());
    // What the layer parks before running a handler; the function then stopped (a timeout, a
    // crash) before it could settle it.
    let intent = AuditDraft {
        at: clock.now(),
        actor: format!("key:{}", key.id()),
        action: "DELETE /v1/projects/{id}".into(),
        resource_type: "projects".into(),
        resource_id: Some("prj_01JD0000000000000000000000".into()),
        status: 0,
        diff: json!({}),
        request_id: "req-stopped".into(),
        source_ip: "203.0.113.10".into(),
        detail: Some("the request was received; its outcome was not recorded".into()),
    };
    stack
        .harness
        .store
        .park_audit(&chain, &intent)
        .await
        .expect("parked");

    clock.advance(chrono::Duration::minutes(1));
    let early = faultline::services::outbox::relay_pending(&stack.harness)
        .await
        .expect("relay");
    assert_eq!(early.audit_found, 0, "it may still be running");
    clock.advance(chrono::Duration::minutes(2));
    let report = faultline::services::outbox::relay_pending(&stack.harness)
        .await
        .expect("relay");

    assert_eq!(report.audit_appended, 1);
    let (_, log) = call(
        &stack,
        &HttpEvent::load("api/list-audit.json").key(Some(key.expose())),
    )
    .await;
    let entry = &log["items"][0];
    assert_eq!(entry["action"], "DELETE /v1/projects/{id}", "{log}");
    assert_eq!(entry["request_id"], "req-stopped");
    assert_eq!(entry["status"], 0, "its outcome is unknown, and says so");
    assert_eq!(parked(&stack).await, 0);
}
