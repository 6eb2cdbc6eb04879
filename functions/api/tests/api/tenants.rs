//! The tenant routes: who may see and change a tenant, and the per-tenant retry schedule.

use crate::call;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

const PLATFORM_KEY: &str = "sk_platformadm1_correct-horse";

#[tokio::test]
async fn a_tenant_sets_its_own_retry_schedule_and_nobody_else_sees_or_changes_it() {
    let stack = TestStack::deploy().await;
    stack.set_admin_key(PLATFORM_KEY).await;
    let (tenant, key) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::IncidentsRead])
        .await
        .expect("key");
    let get = HttpEvent::load("api/get-tenant.json").path_param("id", tenant.as_str());
    let patch = HttpEvent::load("api/update-tenant.json").path_param("id", tenant.as_str());

    let (status, shown) = call(&stack, &get.clone().key(Some(key.expose()))).await;
    assert_eq!(status, 200);
    assert_eq!(shown["settings"]["retry_schedule"], Value::Null);

    let (status, changed) = call(
        &stack,
        &patch
            .clone()
            .key(Some(key.expose()))
            .body_json(&json!({"retry_schedule": [10, 60, 600]})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["settings"]["retry_schedule"], json!([10, 60, 600]));
    let stored = stack
        .state
        .store
        .get_tenant(&tenant)
        .await
        .expect("read")
        .expect("tenant");
    assert_eq!(stored.settings.retry_schedule, Some(vec![10, 60, 600]));

    for event in [get.clone(), patch.clone()] {
        let (status, _) = call(&stack, &event.key(Some(stranger.expose()))).await;
        assert_eq!(status, 404, "another tenant's id is not found");
    }
    let (status, problem) = call(&stack, &patch.clone().key(Some(reader.expose()))).await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("tenant:manage"))
    );

    for bad in [
        json!({"retry_schedule": []}),
        json!({"retry_schedule": [0]}),
        json!({"retry_schedule": [700000]}),
        json!({"retry_schedule": vec![5; 21]}),
        json!({"retry_schedule": "5,10"}),
        json!({"retry_schedule": [5], "plan": "gold"}),
        json!({"api_rate_limit_per_minute": 0}),
        json!({"api_rate_limit_per_minute": 100_001}),
    ] {
        let (status, problem) = call(
            &stack,
            &patch.clone().key(Some(key.expose())).body_json(&bad),
        )
        .await;
        assert_eq!(status, 422, "{bad} → {problem}");
    }
    let (_, unchanged) = call(&stack, &get.clone().key(Some(key.expose()))).await;
    assert_eq!(
        unchanged["settings"]["retry_schedule"],
        json!([10, 60, 600]),
        "refused changes change nothing"
    );

    let (status, limited) = call(
        &stack,
        &patch
            .clone()
            .key(Some(key.expose()))
            .body_json(&json!({"api_rate_limit_per_minute": 1200})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(limited["settings"]["api_rate_limit_per_minute"], 1200);
    assert_eq!(
        limited["settings"]["retry_schedule"],
        json!([10, 60, 600]),
        "other settings kept"
    );

    let (status, reset) = call(
        &stack,
        &patch
            .clone()
            .key(Some(PLATFORM_KEY))
            .body_json(&json!({"retry_schedule": null, "name": "Renamed"})),
    )
    .await;
    assert_eq!(status, 200, "the platform admin may change any tenant");
    assert_eq!(reset["settings"]["retry_schedule"], Value::Null);
    assert_eq!(reset["name"], "Renamed");
}
