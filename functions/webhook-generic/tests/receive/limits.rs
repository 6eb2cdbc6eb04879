//! Inbound allowances per integration and tenant, per-integration statistics, and the
//! container's integration cache.

use super::{alert, integration, signed, SECRET};
use faultline::domain::{Integration, TenantId};
use faultline_testkit::{json_of, TestStack};
use faultline_webhook_generic::handle;
use serde_json::json;

/// Sets a tenant's inbound allowances.
async fn limit_inbound(
    stack: &TestStack,
    tenant: &TenantId,
    per_integration: u32,
    per_tenant: u32,
) {
    stack
        .set_tenant_settings(tenant, |s| {
            s.inbound_rate_limit_per_minute = Some(per_integration);
            s.tenant_inbound_rate_limit_per_minute = Some(per_tenant);
        })
        .await;
}

#[tokio::test]
async fn a_flooded_integration_or_tenant_is_refused_on_its_own_counters_and_others_are_served() {
    let clock = faultline::clock::Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock).await;
    let (noisy, _) = stack.tenant().await;
    let (quiet, _) = stack.tenant().await;
    limit_inbound(&stack, &noisy, 3, 5).await;
    let first = integration(&stack, &noisy, Some(SECRET)).await;
    let second = integration(&stack, &noisy, Some(SECRET)).await;
    let theirs = integration(&stack, &quiet, Some(SECRET)).await;
    let send = |integration: &Integration, n: u32| {
        let title = format!("alert {n} via {}", integration.id);
        let event = alert(integration).body_json(&json!({"title": title}));
        signed(event, SECRET)
    };

    for n in 0..3 {
        let (status, body) = json_of(&handle(&stack.state, send(&first, n).request()).await);
        assert_eq!(status, 202, "{body}");
    }
    let response = handle(&stack.state, send(&first, 3).request()).await;
    let (status, problem) = json_of(&response);
    assert_eq!(status, 429, "{problem}");
    assert_eq!(problem["limit"], "inbound_per_integration_per_minute");
    assert_eq!(problem["limit_value"], 3);
    assert!(response.headers().contains_key("retry-after"));
    let (status, _) = json_of(&handle(&stack.state, send(&theirs, 0).request()).await);
    assert_eq!(status, 202, "another tenant is served");

    // The tenant's integrations together accept 5: 3 taken, two more fit, then no more.
    for n in 0..2 {
        let (status, _) = json_of(&handle(&stack.state, send(&second, n).request()).await);
        assert_eq!(status, 202);
    }
    let (status, problem) = json_of(&handle(&stack.state, send(&second, 2).request()).await);
    assert_eq!(status, 429, "{problem}");
    assert_eq!(problem["limit"], "inbound_per_tenant_per_minute");
    let (status, _) = json_of(&handle(&stack.state, send(&theirs, 1).request()).await);
    assert_eq!(status, 202, "still served");
    let incidents = stack.incidents(&noisy).await;
    assert_eq!(incidents.len(), 5, "refused webhooks changed nothing");
}

#[tokio::test]
async fn every_webhook_is_counted_in_its_integrations_statistics() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, Some(SECRET)).await;
    let ok = signed(alert(&integration).header("idempotency-key", "d-1"), SECRET);
    let unusable = signed(
        alert(&integration).body_json(&json!({"severity": "high"})),
        SECRET,
    );
    for (event, status) in [
        (ok.clone(), 202),
        (ok, 200),
        (
            alert(&integration).header("x-signature-256", "sha256=00"),
            401,
        ),
        (unusable, 422),
    ] {
        let (got, body) = json_of(&handle(&stack.state, event.request()).await);
        assert_eq!(got, status, "{body}");
    }

    let now = stack.state.clock.now();
    let stats = stack
        .harness
        .store
        .inbound_stats(
            &tenant,
            &integration.id,
            now - chrono::Duration::hours(1),
            now,
        )
        .await
        .expect("stats");
    assert_eq!(stats.received, 4);
    let counts: Vec<(&str, u64)> = stats.by_result.iter().map(|(r, n)| (*r, *n)).collect();
    assert_eq!(
        counts,
        [
            ("accepted", 1),
            ("duplicate", 1),
            ("failed", 0),
            ("refused_invalid", 1),
            ("refused_signature", 1),
            ("replied", 0),
        ]
    );
    assert!(stats.last_received_at.is_some_and(|at| at <= now));
}

#[tokio::test]
async fn a_warm_container_reads_an_integration_once_and_a_new_one_reads_it_again() {
    let stack = TestStack::deploy().await;
    let (tenant, _) = stack.tenant().await;
    let integration = integration(&stack, &tenant, None).await;
    let first = alert(&integration);
    assert_eq!(json_of(&handle(&stack.state, first.request()).await).0, 202);

    // The record goes away behind the container's back (integrations are never changed or
    // deleted by the hub; this only shows where the warm path reads it from).
    stack
        .clients
        .dynamodb
        .delete_item()
        .table_name(&stack.state.config.table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("INTEGRATION#{}", integration.id)),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("INTEGRATION".into()),
        )
        .send()
        .await
        .expect("deleted");
    let second = alert(&integration).body_bytes(
        &serde_json::to_vec(&json!({"title": "another", "fingerprint": "another"})).expect("json"),
    );
    let (status, body) = json_of(&handle(&stack.state, second.request()).await);
    assert_eq!(
        status, 202,
        "the warm container does not read it again: {body}"
    );

    let new_container = stack.function_state_with(|_| {});
    let (status, body) = json_of(&handle(&new_container, alert(&integration).request()).await);
    assert_eq!(status, 404, "a new container reads the table: {body}");
}
