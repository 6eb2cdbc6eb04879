//! `POST /v1/projects/{id}/sentry/{integration_id}/sync` runs the sync job's pass at once against
//! the configuration's Sentry (here a local server), and `GET …/sync` shows where it stands.

use crate::call;
use faultline_testkit::{provider_fixture, HttpEvent, TestStack};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DSN: &str = "https://a1b2c3d4e5f60718a1b2c3d4e5f60718@o123.ingest.sentry.io/4505";
const TOKEN: &str = "sntrys_on_demand_canary";

#[tokio::test]
async fn a_configuration_syncs_on_demand_and_shows_how_it_went() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let k = Some(admin.expose());
    let sentry = MockServer::start().await;
    let mut issues: Vec<Value> =
        serde_json::from_slice(&provider_fixture("sentry_api_project_issues_list.json"))
            .expect("fixture");
    issues[0]["lastSeen"] = json!(chrono::Utc::now().to_rfc3339());
    Mock::given(method("GET"))
        .and(path("/api/0/projects/acme/checkout/issues/"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&issues))
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/1/events/latest/"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::from_slice::<Value>(&provider_fixture(
                    "sentry_api_issue_event_latest.json",
                ))
                .expect("fixture"),
            ),
        )
        .mount(&sentry)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/0/organizations/acme/issues/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&sentry)
        .await;
    let (_, project) = call(
        &stack,
        &HttpEvent::load("api/create-project.json")
            .key(k)
            .body_json(&json!({"name": "Checkout", "environment": "production"})),
    )
    .await;
    let pid = project["id"].as_str().expect("project").to_owned();
    let create = |body: Value| {
        HttpEvent::load("api/create-sentry-config.json")
            .path_param("id", &pid)
            .key(k)
            .body_json(&body)
    };
    let (status, config) = call(
        &stack,
        &create(json!({"dsn": DSN, "org": "acme", "project": "checkout", "auth_token": TOKEN, "api_url": sentry.uri()})),
    )
    .await;
    assert_eq!(status, 201, "{config}");
    assert_eq!(config["api_url"], sentry.uri());
    let (_, tokenless) = call(
        &stack,
        &create(
            json!({"dsn": DSN, "org": "acme", "project": "checkout", "environment": "staging"}),
        ),
    )
    .await;
    assert_eq!(
        tokenless["api_url"], "https://sentry.io",
        "implied by the DSN"
    );
    let sync = |method: &str, id: &str| {
        HttpEvent::load(if method == "POST" {
            "api/sync-sentry-config.json"
        } else {
            "api/get-sentry-sync.json"
        })
        .path_param("id", &pid)
        .path_param("integration_id", id)
        .key(k)
    };
    let cid = config["id"].as_str().expect("id");
    let (status, report) = call(&stack, &sync("POST", cid)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["events_fetched"], 1);
    assert_eq!(report["complete"], true);
    assert!(!report.to_string().contains(TOKEN));
    let (status, state) = call(&stack, &sync("GET", cid)).await;
    assert_eq!(status, 200, "{state}");
    assert!(state["watermark"].is_string());
    assert!(state["health"]["last_success_at"].is_string());
    assert_eq!(state["health"]["consecutive_failures"], 0);

    let (status, problem) =
        call(&stack, &sync("POST", tokenless["id"].as_str().expect("id"))).await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("auth_token"));
}
