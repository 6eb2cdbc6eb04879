//! The audit layer records what each mutating handler says it changed. These routes have no GET of
//! their own (a Sentry configuration, an API key, an inbound delivery), so the old wrapper diffed
//! them against nothing and every field read as changed; now each entry holds only what changed.

use faultline_e2e::Hub;
use serde_json::{json, Value};

/// The newest audit entry with `action`.
async fn entry(hub: &Hub, key: &faultline_e2e::TenantKey, action: &str) -> Value {
    let query = action
        .replace(' ', "%20")
        .replace('{', "%7B")
        .replace('}', "%7D");
    let (status, log) = hub.get(&format!("/v1/audit?action={query}"), key).await;
    assert_eq!(status, 200, "{log}");
    log["items"][0].clone()
}

fn changed_fields(entry: &Value) -> Vec<String> {
    let mut fields: Vec<String> = entry["diff"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

#[tokio::test]
async fn changes_without_a_get_route_are_diffed_against_what_they_were() {
    let hub = Hub::start("1").await;
    let key = hub.tenant().await;

    // A Sentry configuration: PATCH one rate, then DELETE.
    let (status, project) = hub
        .post("/v1/projects", &key, &json!({"name": "Checkout"}))
        .await;
    assert_eq!(status, 201, "{project}");
    let project_id = project["id"].as_str().expect("project id");
    let (status, config) = hub
        .post(
            &format!("/v1/projects/{project_id}/sentry"),
            &key,
            &json!({"dsn": "https://a1b2c3d4e5f60718a1b2c3d4e5f60718@o123.ingest.sentry.io/4505",
                    "org": "acme", "project": "checkout", "auth_token": "sntrys_secret_token"}),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["id"].as_str().expect("config id");
    let config_path = format!("/v1/projects/{project_id}/sentry/{config_id}");
    let (status, body) = hub
        .send(
            hub.http
                .patch(hub.url(&config_path))
                .bearer_auth(&key.0)
                .json(&json!({"tracesSampleRate": 0.5})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let patched = entry(
        &hub,
        &key,
        "PATCH /v1/projects/{id}/sentry/{integration_id}",
    )
    .await;
    assert_eq!(patched["resource_id"], config_id);
    let mut expected = vec!["tracesSampleRate".to_owned(), "updated_at".to_owned()];
    expected.sort();
    assert_eq!(changed_fields(&patched), expected, "{patched}");
    assert_eq!(
        patched["diff"]["tracesSampleRate"],
        json!({"before": config["tracesSampleRate"], "after": 0.5})
    );

    let (status, _) = hub
        .send(hub.http.delete(hub.url(&config_path)).bearer_auth(&key.0))
        .await;
    assert_eq!(status, 204);
    let deleted = entry(
        &hub,
        &key,
        "DELETE /v1/projects/{id}/sentry/{integration_id}",
    )
    .await;
    assert_eq!(
        deleted["diff"]["org"],
        json!({"before": "acme", "after": null})
    );
    assert!(
        !deleted.to_string().contains("sntrys_secret_token"),
        "no secret in the entry"
    );

    // An API key: revoking it changes `revoked_at`, nothing else.
    let (status, created) = hub
        .post(
            "/v1/auth/api-keys",
            &key,
            &json!({"name": "ci", "scopes": ["incidents:read"]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key_id = created["id"].as_str().expect("key id");
    let (status, _) = hub
        .send(
            hub.http
                .delete(hub.url(&format!("/v1/auth/api-keys/{key_id}")))
                .bearer_auth(&key.0),
        )
        .await;
    assert_eq!(status, 204);
    let revoked = entry(&hub, &key, "DELETE /v1/auth/api-keys/{id}").await;
    assert_eq!(revoked["resource_id"], key_id);
    assert_eq!(changed_fields(&revoked), ["revoked_at"], "{revoked}");
    assert_eq!(revoked["diff"]["revoked_at"]["before"], Value::Null);

    // An inbound delivery: a replay records what the pipeline did again, nothing else.
    let hook = hub.generic_hook(&key).await;
    let (status, accepted) = hub
        .alert(&hook, &json!({"title": "Replay me", "fingerprint": "r"}))
        .await;
    assert_eq!(status, 202, "{accepted}");
    let delivery = accepted["delivery_id"].as_str().expect("delivery id");
    let (status, replayed) = hub
        .post(
            &format!("/v1/hooks/deliveries/{delivery}/replay"),
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(status, 202, "{replayed}");
    let audited = entry(&hub, &key, "POST /v1/hooks/deliveries/{id}/replay").await;
    assert_eq!(audited["resource_id"], delivery);
    assert_eq!(changed_fields(&audited), ["replayed"], "{audited}");
    assert_eq!(
        audited["diff"]["replayed"]["after"]["incident_id"],
        accepted["incident_id"]
    );
}
