//! The authorisation matrix of the `api` function, from its sample events: every route refuses a
//! missing, expired, revoked or under-scoped credential, and another tenant's key sees, changes
//! and learns nothing of the first tenant (404 for its ids, exactly like ids that do not exist).

use crate::call;
use faultline::clock::Clock;
use faultline::domain::Scope;
use faultline::domain::{Severity, SignalKind};
use faultline::services::api_keys::{issue_api_key, issue_api_key_for};
use faultline_testkit::{json_of, HttpEvent, TestStack};
use serde_json::{json, Value};
use std::collections::HashMap;

const PUBLIC: [&str; 3] = ["health.json", "get-openapi.json", "get-docs.json"];

fn api_events() -> Vec<(String, HttpEvent)> {
    let dir = faultline_testkit::workspace_root().join("events/api");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("events/api")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !PUBLIC.contains(&name.as_str()))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| (name.clone(), HttpEvent::load(&format!("api/{name}"))))
        .collect()
}

#[tokio::test]
async fn every_route_refuses_missing_expired_revoked_and_underscoped_credentials() {
    let clock = Clock::fixed(chrono::Utc::now());
    let stack = TestStack::deploy_with("1,1,1", clock.clone()).await;
    let (tenant, _) = stack.tenant().await;
    let (expired, _) = issue_api_key_for(
        &stack.state,
        &tenant,
        "short-lived",
        Scope::ALL.to_vec(),
        1,
        None,
        Vec::new(),
    )
    .await
    .expect("key");
    clock.advance(chrono::Duration::days(2));
    let (revoked, _) = issue_api_key(&stack.state, &tenant, "revoked", Scope::ALL.to_vec())
        .await
        .expect("key");
    stack
        .state
        .store
        .revoke_api_key(&tenant, revoked.id(), clock.now())
        .await
        .expect("revoke");
    let (scopeless, _) = issue_api_key(&stack.state, &tenant, "no scopes", vec![])
        .await
        .expect("key");

    for (name, event) in api_events() {
        let (status, _) = call(&stack, &event.clone().key(None)).await;
        assert_eq!(status, 401, "{name} without a credential");
        let (status, problem) = call(&stack, &event.clone().key(Some(expired.expose()))).await;
        assert_eq!(status, 401, "{name} with an expired key");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("expired"),
            "{name}: {problem}"
        );
        let (status, problem) = call(&stack, &event.clone().key(Some(revoked.expose()))).await;
        assert_eq!(status, 401, "{name} with a revoked key");
        assert!(problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked"));
        let (status, problem) = call(&stack, &event.clone().key(Some(scopeless.expose()))).await;
        match name.as_str() {
            // Any valid key may read the catalogue.
            "list-event-types.json" => assert_eq!(status, 200),
            // The sample tenant id is not the caller's: not found before any scope question.
            "get-tenant.json" | "update-tenant.json" => assert_eq!(status, 404, "{name}"),
            // Platform admin only.
            "create-tenant.json" => assert_eq!(status, 403, "{name}"),
            _ => {
                assert_eq!(status, 403, "{name} without its scope: {problem}");
                assert!(
                    problem["missing_scope"].is_string(),
                    "{name} names the missing scope"
                );
            }
        }
    }
}

/// The committed OpenAPI document (a test in `infra/openapi` keeps it equal to the code).
fn documented() -> Value {
    let path = faultline_testkit::workspace_root().join("functions/api/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("openapi.json")).expect("JSON")
}

/// Checks a success answer against the schema the document gives for the route and status.
fn matches_documentation(doc: &Value, name: &str, event: &HttpEvent, status: u16, body: &Value) {
    let route = event.0["routeKey"].as_str().expect("route");
    let (method, path) = route.split_once(' ').expect("method and path");
    let schema = &doc["paths"][path][method.to_lowercase()]["responses"][status.to_string()]
        ["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{name}: no schema documented for {status}"
    );
    if let Err(mismatch) = faultline_testkit::conforms_to_documentation(doc, schema, body) {
        panic!("{name} answers what its documentation does not say: {mismatch}\n{body}");
    }
}

#[tokio::test]
async fn another_tenant_learns_nothing_and_every_answer_matches_its_documentation() {
    let stack = TestStack::deploy().await;
    let (owner, key) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let k = Some(key.expose());
    let id_of = |v: &Value| v["id"].as_str().expect("id").to_owned();
    let id_of_role = |v: &Value| v["name"].as_str().expect("name").to_owned();

    let incident = stack
        .stored_incident(&owner, "Checkout errors", Severity::High, SignalKind::Alert)
        .await;
    let issue = stack
        .stored_incident(&owner, "TypeError", Severity::High, SignalKind::Issue)
        .await;
    let (_, endpoint) = call(&stack, &HttpEvent::load("api/create-endpoint.json").key(k)).await;
    let stored_endpoint = stack
        .state
        .store
        .get_endpoint(
            &owner,
            &faultline::domain::EndpointId::parse(&id_of(&endpoint)).expect("id"),
        )
        .await
        .expect("read")
        .expect("endpoint");
    let message = faultline::services::ledger::send_test(&stack.state, &stored_endpoint)
        .await
        .expect("ping");
    let (_, project) = call(&stack, &HttpEvent::load("api/create-project.json").key(k)).await;
    let (_, config) = call(
        &stack,
        &HttpEvent::load("api/create-sentry-config.json")
            .path_param("id", &id_of(&project))
            .key(k),
    )
    .await;
    let (_, user) = call(&stack, &HttpEvent::load("api/create-user.json").key(k)).await;
    let (status, role) = call(&stack, &HttpEvent::load("api/define-role.json").key(k)).await;
    assert_eq!(status, 201, "{role}");
    // An email destination: a test of it fails at once (no sender configured), offline.
    let (status, destination) = call(
        &stack,
        &HttpEvent::load("api/create-destination.json")
            .body_json(&json!({"name": "mail", "kind": "email", "to": ["oncall@example.com"]}))
            .key(k),
    )
    .await;
    assert_eq!(status, 201, "{destination}");
    let (status, rule) = call(
        &stack,
        &HttpEvent::load("api/create-notification-rule.json")
            .body_json(&json!({"name": "all", "destinations": [id_of(&destination)]}))
            .key(k),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let (status, window) = call(
        &stack,
        &HttpEvent::load("api/create-maintenance-window.json").key(k),
    )
    .await;
    assert_eq!(status, 201, "{window}");
    let (status, log_source) = call(
        &stack,
        &HttpEvent::load("api/create-log-source.json").key(k),
    )
    .await;
    assert_eq!(status, 201, "{log_source}");
    let (status, export) = call(&stack, &HttpEvent::load("api/create-export.json").key(k)).await;
    assert_eq!(status, 202, "{export}");
    let (status, schedule) = call(
        &stack,
        &HttpEvent::load("api/create-export-schedule.json").key(k),
    )
    .await;
    assert_eq!(status, 201, "{schedule}");
    let deadlock_alert = stack.generic_integration(&owner, None).await;
    let reported = faultline::http::handle_webhook(
        &stack.harness,
        HttpEvent::load("webhook-generic/receive.json")
            .path_param("integration_id", deadlock_alert.id.as_str())
            .without_header("x-signature-256")
            .body_json(&json!({
                "title": "Payments worker: deadlock detected",
                "description": "ERROR:  deadlock detected\nDETAIL:  Process 1 waits for ShareLock on \
                    transaction 8; blocked by process 2.\nProcess 2 waits for ShareLock on \
                    transaction 7; blocked by process 1.",
            }))
            .request(),
        &faultline::sources::generic::GenericSource,
    )
    .await;
    assert_eq!(json_of(&reported).0, 202);
    let deadlock = stack
        .record_deadlocks()
        .await
        .iter()
        .find(|e| e["type"] == "deadlock.detected")
        .map(|e| e["data"]["group_id"].as_str().expect("group").to_owned())
        .expect("a deadlock");
    let integration = stack.generic_integration(&owner, None).await;
    let received = faultline::http::handle_webhook(
        &stack.harness,
        // Large enough for the S3 archive, so the replay below reads it from there.
        HttpEvent::load("webhook-generic/receive.json")
            .path_param("integration_id", integration.id.as_str())
            .without_header("x-signature-256")
            .body_json(&serde_json::json!({
                "title": "Archived in S3",
                "attributes": {"dump": faultline_testkit::incompressible(16 * 1024)}
            }))
            .request(),
        &faultline::sources::generic::GenericSource,
    )
    .await;
    let (status, receipt) = json_of(&received);
    assert_eq!(status, 202, "accepted: {receipt}");
    let event_id = "bb78c1407cea4519aa397afc059c793d";
    let error_event = faultline::domain::ErrorEvent::from_sentry(
        &json!({"event_id": event_id, "issue_id": "1170820242", "title": "ReferenceError"}),
        chrono::Utc::now(),
    )
    .expect("event");
    stack
        .state
        .store
        .put_error_event(&owner, &error_event)
        .await
        .expect("event stored");

    // Every id parameter of every route, as the owner's real resources.
    let ids: HashMap<&str, HashMap<&str, String>> = HashMap::from([
        ("incident", HashMap::from([("id", incident.id.to_string())])),
        ("issue", HashMap::from([("id", issue.id.to_string())])),
        ("endpoint", HashMap::from([("id", id_of(&endpoint))])),
        ("message", HashMap::from([("id", message.to_string())])),
        (
            "project",
            HashMap::from([("id", id_of(&project)), ("integration_id", id_of(&config))]),
        ),
        ("user", HashMap::from([("id", id_of(&user))])),
        ("tenant", HashMap::from([("id", owner.to_string())])),
        (
            "slug",
            HashMap::from([(
                "project_slug",
                project["slug"].as_str().expect("slug").to_owned(),
            )]),
        ),
        (
            "delivery",
            HashMap::from([(
                "id",
                receipt["delivery_id"]
                    .as_str()
                    .expect("delivery id")
                    .to_owned(),
            )]),
        ),
        ("event", HashMap::from([("id", event_id.to_owned())])),
        ("role", HashMap::from([("name", id_of_role(&role))])),
        ("destination", HashMap::from([("id", id_of(&destination))])),
        ("rule", HashMap::from([("id", id_of(&rule))])),
        ("window", HashMap::from([("id", id_of(&window))])),
        (
            "integration",
            HashMap::from([("id", integration.id.to_string())]),
        ),
        ("log source", HashMap::from([("id", id_of(&log_source))])),
        ("export", HashMap::from([("id", id_of(&export))])),
        ("deadlock", HashMap::from([("id", deadlock)])),
        ("export schedule", HashMap::from([("id", id_of(&schedule))])),
    ]);
    let kind_of = |route: &str| -> &str {
        for (prefix, kind) in [
            ("/v1/incidents/", "incident"),
            ("/v1/issues/", "issue"),
            ("/v1/endpoints/", "endpoint"),
            ("/v1/messages/", "message"),
            ("/v1/projects/", "project"),
            ("/v1/users/", "user"),
            ("/v1/tenants/", "tenant"),
            ("/v1/integrations/sentry/", "slug"),
            ("/v1/integrations/", "integration"),
            ("/v1/hooks/deliveries/", "delivery"),
            ("/v1/events/", "event"),
            ("/v1/roles/", "role"),
            ("/v1/destinations/", "destination"),
            ("/v1/notification-rules/", "rule"),
            ("/v1/maintenance-windows/", "window"),
            ("/v1/log-sources/", "log source"),
            ("/v1/exports/", "export"),
            ("/v1/export-schedules/", "export schedule"),
            ("/v1/deadlocks/", "deadlock"),
        ] {
            if route.contains(prefix) {
                return kind;
            }
        }
        panic!("no resource for {route}")
    };
    let mut routes: Vec<(String, HttpEvent)> = api_events()
        .into_iter()
        .filter(|(_, e)| e.0.get("pathParameters").is_some())
        .map(|(name, mut event)| {
            let route = event.0["routeKey"].as_str().expect("route").to_owned();
            let params: Vec<String> = event.0["pathParameters"]
                .as_object()
                .expect("params")
                .keys()
                .cloned()
                .collect();
            for param in params {
                event = event.path_param(&param, &ids[kind_of(&route)][param.as_str()]);
            }
            if name == "create-incident-ticket.json" {
                // The body names a destination too: the owner's own.
                let destination = &ids["destination"]["id"];
                event = event.body_json(&json!({"destination_id": destination, "key": "OPS-123"}));
            }
            (name, event)
        })
        .collect();
    assert!(routes.len() >= 25, "every id route is walked");
    // Deletions last (the project last of all), so the owner's other calls still find their
    // resources.
    routes.sort_by_key(|(name, _)| (name.starts_with("delete-"), name == "delete-project.json"));

    // Every route without an id, as the owner: each success answer matches its documentation.
    let doc = documented();
    for (name, event) in api_events()
        .into_iter()
        .filter(|(_, e)| e.0.get("pathParameters").is_none())
    {
        let (status, body) = call(&stack, &event.clone().key(k)).await;
        if (200..300).contains(&status) && !body.is_null() {
            matches_documentation(&doc, &name, &event, status, &body);
        }
    }

    for (name, event) in &routes {
        if name == "define-role.json" {
            continue; // role names belong to each tenant: see below
        }
        let (status, body) = call(&stack, &event.clone().key(Some(stranger.expose()))).await;
        assert_eq!(status, 404, "{name} with another tenant's key: {body}");
        assert_eq!(body["type"], "https://faultline.dev/problems/not-found");
    }
    let (status, theirs) = call(
        &stack,
        &HttpEvent::load("api/define-role.json")
            .body_json(&json!({"scopes": ["incidents:read"]}))
            .key(Some(stranger.expose())),
    )
    .await;
    assert_eq!(
        status, 201,
        "the stranger defines an `auditor` of its own: {theirs}"
    );
    let owner_roles = stack.state.store.tenant_roles(&owner).await.expect("roles");
    let auditor = faultline::domain::Role::parse("auditor").expect("a name");
    assert_eq!(
        owner_roles.scopes(&auditor),
        [Scope::IncidentsRead, Scope::AuditRead],
        "the stranger's role of the same name did not touch the owner's"
    );
    for (name, event) in &routes {
        let (status, body) = call(&stack, &event.clone().key(k)).await;
        assert!(
            status != 404 && status < 500,
            "{name} as the owner: {status} {body}"
        );
        if (200..300).contains(&status) && body.is_object() {
            matches_documentation(&doc, name, event, status, &body);
        }
    }
    let (_, listed) = call(
        &stack,
        &HttpEvent::load("api/list-incidents.json").key(Some(stranger.expose())),
    )
    .await;
    assert_eq!(
        listed["items"],
        json!([]),
        "lists show nothing of the owner's"
    );
}
