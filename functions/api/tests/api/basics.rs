//! The api handler, fed the sample events in events/api/, against a stack on the emulator.

use crate::call;
use faultline::domain::{Severity, SignalKind};
use faultline_api::handle;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

fn events() -> Vec<(String, HttpEvent)> {
    let dir = faultline_testkit::workspace_root().join("events/api");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("events/api")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name.clone(), HttpEvent::load(&format!("api/{name}")))
        })
        .collect()
}

#[tokio::test]
async fn health_and_the_api_description_need_no_key_and_every_other_route_refuses_missing_wrong_and_revoked_keys(
) {
    let stack = TestStack::deploy().await;
    stack.set_admin_key("sk_platformadm1_correct-horse").await;
    let (tenant, key) = stack.tenant().await;
    assert!(stack
        .state
        .store
        .revoke_api_key(&tenant, key.id(), chrono::Utc::now())
        .await
        .expect("revoke"));

    for (name, event) in events() {
        if ["health.json", "get-openapi.json", "get-docs.json"].contains(&name.as_str()) {
            let response = handle(&stack.state, event.clone().key(None).request()).await;
            assert_eq!(response.status(), 200, "{name} is public");
            continue;
        }
        let (status, _) = call(&stack, &event.clone().key(None)).await;
        assert_eq!(status, 401, "{name} without a key");
        let (status, problem) =
            call(&stack, &event.clone().key(Some("sk_abcdefghijkl_wrong"))).await;
        assert_eq!(status, 401, "{name} with a wrong key");
        assert_eq!(
            problem["type"],
            "https://faultline.dev/problems/unauthorized"
        );
        let (status, problem) = call(&stack, &event.clone().key(Some(key.expose()))).await;
        assert_eq!(status, 401, "{name} with a revoked key");
        assert!(problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked"));
        let (status, _) = call(
            &stack,
            &event.clone().header("x-api-key", key.expose()).key(None),
        )
        .await;
        assert_eq!(status, 401, "{name} with a revoked key in X-API-Key");
    }
}

#[tokio::test]
async fn another_tenants_resources_are_not_found() {
    let stack = TestStack::deploy().await;
    let (owner, owner_key) = stack.tenant().await;
    let (_, stranger_key) = stack.tenant().await;
    let incident = stack
        .stored_incident(&owner, "Checkout errors", Severity::High, SignalKind::Alert)
        .await;
    let (_, endpoint) = call(
        &stack,
        &HttpEvent::load("api/create-endpoint.json").key(Some(owner_key.expose())),
    )
    .await;
    let endpoint_id = endpoint["id"].as_str().expect("endpoint id");

    for (file, param, id) in [
        ("get-incident.json", "id", incident.id.as_str()),
        ("get-incident-timeline.json", "id", incident.id.as_str()),
        ("get-endpoint.json", "id", endpoint_id),
        ("update-endpoint.json", "id", endpoint_id),
        ("delete-endpoint.json", "id", endpoint_id),
    ] {
        let event = HttpEvent::load(&format!("api/{file}")).path_param(param, id);
        let (status, _) = call(&stack, &event.clone().key(Some(stranger_key.expose()))).await;
        assert_eq!(status, 404, "{file} as another tenant");
        let (status, _) = call(&stack, &event.key(Some(owner_key.expose()))).await;
        assert!(status < 300, "{file} as the owner: {status}");
    }
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-incidents.json").key(Some(stranger_key.expose())),
    )
    .await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn platform_admin_creates_tenants_whose_first_key_works() {
    let stack = TestStack::deploy().await;
    stack.set_admin_key("sk_platformadm1_correct-horse").await;
    let (_, tenant_key) = stack.tenant().await;
    let create = HttpEvent::load("api/create-tenant.json");

    let (status, _) = call(&stack, &create.clone().key(Some(tenant_key.expose()))).await;
    assert_eq!(status, 403, "a tenant key cannot create tenants");
    let (status, problem) = call(
        &stack,
        &create
            .clone()
            .key(Some("sk_platformadm1_correct-horse"))
            .body_json(&json!({"name": "x", "plan": "gold"})),
    )
    .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("plan")));
    let (status, created) = call(&stack, &create.key(Some("sk_platformadm1_correct-horse"))).await;
    assert_eq!(status, 201);
    let key = created["api_key"]["key"]
        .as_str()
        .expect("the key is shown once");
    assert!(created["api_key"].get("digest").is_none());

    let (status, listed) = call(
        &stack,
        &HttpEvent::load("api/list-incidents.json").key(Some(key)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!({"items": [], "next_cursor": null}));
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/list-incidents.json").key(Some("sk_platformadm1_correct-horse")),
    )
    .await;
    assert_eq!(status, 403, "the platform key holds no tenant data");
}

#[tokio::test]
async fn lists_paginate_with_cursors_and_refuse_bad_ones() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let key = Some(key.expose());
    for _ in 0..3 {
        stack
            .stored_incident(
                &tenant,
                "Checkout errors",
                Severity::High,
                SignalKind::Alert,
            )
            .await;
    }
    let list = HttpEvent::load("api/list-incidents.json").key(key);

    let (_, first) = call(&stack, &list.clone().query("limit=2")).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = call(
        &stack,
        &list.clone().query(&format!("limit=2&cursor={cursor}")),
    )
    .await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert!(
        first["items"][0]["created_at"].as_str() >= second["items"][0]["created_at"].as_str(),
        "newest first"
    );

    let (status, problem) = call(&stack, &list.clone().query("cursor=bm9wZQ")).await;
    assert_eq!((status, problem["field"].as_str()), (400, Some("cursor")));
    let (status, problem) = call(&stack, &list.query("limit=0")).await;
    assert_eq!((status, problem["field"].as_str()), (400, Some("limit")));
}

#[tokio::test]
async fn integrations_never_return_their_secret_and_incidents_show_their_timeline() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let key = Some(key.expose());
    let (status, created) = call(
        &stack,
        &HttpEvent::load("api/create-integration.json").key(key),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(created["has_secret"], true);
    assert!(!created.to_string().contains("a-long-shared-secret-1234"));
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/create-integration.json")
            .key(key)
            .body_json(&json!({"source": "nagios", "name": "x"})),
    )
    .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("source")));
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-integrations.json").key(key),
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout errors",
            Severity::High,
            SignalKind::Alert,
        )
        .await;
    let (status, timeline) = call(
        &stack,
        &HttpEvent::load("api/get-incident-timeline.json")
            .path_param("id", incident.id.as_str())
            .key(key),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(timeline["items"][0]["kind"], "opened");
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/get-incident.json")
            .path_param("id", "inc_garbage")
            .key(key),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn provider_integrations_need_their_signing_secret_and_valid_options() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let create = |body: Value| {
        HttpEvent::load("api/create-integration.json")
            .key(Some(key.expose()))
            .body_json(&body)
    };
    for (body, field) in [
        (json!({"source": "github", "name": "repo"}), "secret"),
        (json!({"source": "pagerduty", "name": "pd"}), "secret"),
        (json!({"source": "slack", "name": "s"}), "secret"),
        (json!({"source": "sentry", "name": "s"}), "secret"),
        (
            json!({"source": "slack", "name": "s", "secret": "8f742231b10e8888abcd", "config": {"channels": "C1"}}),
            "config.channels",
        ),
        (
            json!({"source": "slack", "name": "s", "secret": "8f742231b10e8888abcd", "config": {"colour": 1}}),
            "config.colour",
        ),
        (
            json!({"source": "github", "name": "g", "secret": "0123456789abcdef", "config": {"patterns": ["x"]}}),
            "config.patterns",
        ),
        (
            json!({"source": "sentry", "name": "s", "config": {"allow_unsigned_legacy": "yes"}}),
            "config.allow_unsigned_legacy",
        ),
        (json!({"source": "generic", "name": "g"}), "secret"),
        (
            json!({"source": "generic", "name": "g", "secret": "0123456789abcdef", "unsigned": true}),
            "unsigned",
        ),
        (
            json!({"source": "github", "name": "g", "unsigned": true}),
            "unsigned",
        ),
        (
            json!({"source": "generic", "name": "g", "unsigned": true, "project_id": "prj_01JD0000000000000000000000"}),
            "project_id",
        ),
        (
            json!({"source": "generic", "name": "g", "unsigned": true, "project_id": "checkout"}),
            "project_id",
        ),
    ] {
        let (status, problem) = call(&stack, &create(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let (_, project) = call(
        &stack,
        &HttpEvent::load("api/create-project.json").key(Some(key.expose())),
    )
    .await;
    let project_id = project["id"].as_str().expect("project id");
    let (status, slack) = call(
        &stack,
        &create(json!({"source": "slack", "name": "ops", "secret": "8f742231b10e8888abcd99yyyzzz85a5", "project_id": project_id, "config": {"channels": ["C1"], "patterns": ["error"]}})),
    )
    .await;
    assert_eq!(status, 201, "{slack}");
    assert_eq!(
        slack["webhook_path"]
            .as_str()
            .map(|p| p.starts_with("/v1/hooks/slack/int_")),
        Some(true)
    );
    assert_eq!(slack["project_id"], project_id);
    assert!(!slack
        .to_string()
        .contains("8f742231b10e8888abcd99yyyzzz85a5"));
    let (status, legacy) = call(&stack, &create(json!({"source": "sentry", "name": "legacy", "config": {"allow_unsigned_legacy": true}}))).await;
    assert_eq!((status, legacy["has_secret"].as_bool()), (201, Some(false)));
    assert_eq!(legacy["unsigned"], true);
    assert_eq!(slack["unsigned"], false);
    let (status, open) = call(
        &stack,
        &create(json!({"source": "generic", "name": "open", "unsigned": true})),
    )
    .await;
    assert_eq!(
        (status, open["unsigned"].as_bool()),
        (201, Some(true)),
        "{open}"
    );
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-integrations.json").key(Some(key.expose())),
    )
    .await;
    let shown = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == open["id"])
        .expect("listed");
    assert_eq!(shown["unsigned"], true, "listings show the choice");
    let (status, problem) = call(&stack, &create(json!({"source": "sentry", "name": "both", "secret": "0123456789abcdef", "config": {"allow_unsigned_legacy": true}}))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("config.allow_unsigned_legacy")),
        "a secret and the unsigned exemption exclude each other"
    );
}

#[tokio::test]
async fn no_provider_secret_is_stored_in_plaintext() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    let secret = "HvPtlQNKMPpHSSqJpCdndXfo7HnGXa1pnH6w5axpxLFn9aRBNBGh4e8";
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/create-integration.json")
            .key(Some(key.expose()))
            .body_json(&json!({"source": "pagerduty", "name": "pd", "secret": secret})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, endpoint) = call(
        &stack,
        &HttpEvent::load("api/create-endpoint.json").key(Some(key.expose())),
    )
    .await;
    let endpoint_secret = endpoint["secret"].as_str().expect("shown once").to_owned();
    let dump = stack.table_dump().await;
    assert!(!dump.contains(secret), "the provider secret is sealed");
    assert!(
        !dump.contains(&endpoint_secret),
        "the endpoint signing secret is sealed"
    );
    assert!(!dump.contains(key.expose()), "API keys are digests");
}

#[tokio::test]
async fn integration_statistics_are_the_tenants_own_over_a_bounded_window() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let integration = stack
        .generic_integration(&tenant, Some("a-long-shared-secret-1234"))
        .await;
    let now = stack.state.clock.now();
    for (result, at) in [
        ("accepted", now),
        ("accepted", now - chrono::Duration::hours(3)),
        ("refused_signature", now),
        ("accepted", now - chrono::Duration::hours(30)),
    ] {
        stack
            .harness
            .store
            .count_inbound_result(&tenant, &integration.id, result, at)
            .await
            .expect("counted");
    }
    let stats = |k: &str, query: &str| {
        HttpEvent::load("api/get-integration-stats.json")
            .path_param("id", integration.id.as_str())
            .key(Some(k))
            .query(query)
    };

    let (status, day) = call(&stack, &stats(key.expose(), "")).await;
    assert_eq!(status, 200, "{day}");
    assert_eq!(
        (
            day["received"].as_u64(),
            day["accepted"].as_u64(),
            day["refused"]["signature"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "the last 24 hours: {day}"
    );
    let (_, two_days) = call(&stack, &stats(key.expose(), "hours=48")).await;
    assert_eq!(two_days["accepted"], 3);
    let (status, problem) = call(&stack, &stats(key.expose(), "hours=0")).await;
    assert_eq!((status, problem["field"].as_str()), (400, Some("hours")));
    let (status, _) = call(&stack, &stats(stranger.expose(), "")).await;
    assert_eq!(
        status, 404,
        "another tenant's integration does not exist for it"
    );
}
