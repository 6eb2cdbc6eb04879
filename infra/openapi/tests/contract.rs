//! The OpenAPI document is generated from the code and committed; these tests fail when the
//! committed file drifts from the code, when a template route is missing from it (or it documents
//! a route the template does not declare), and when the served document differs.

use faultline::domain::event_catalog::describe;
use faultline::domain::EventType;
use faultline_emulator::{Template, Trigger};
use faultline_testkit::{workspace_root, HttpEvent, TestStack};
use serde_json::Value;
use std::collections::BTreeSet;

fn committed() -> String {
    std::fs::read_to_string(workspace_root().join(faultline_openapi::COMMITTED_PATH))
        .expect("the committed document")
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    assert!(
        committed() == faultline_openapi::render(),
        "{} differs from the code: run `make openapi` and commit the result",
        faultline_openapi::COMMITTED_PATH
    );
}

#[test]
fn every_template_route_is_documented_and_nothing_else() {
    let body = std::fs::read_to_string(workspace_root().join("template.yaml")).expect("template");
    let template = Template::parse(&body).expect("parses");
    // The console's routes serve HTML pages to browsers, not the API: they are not documented.
    let declared: BTreeSet<String> = template
        .functions
        .iter()
        .filter(|f| f.binary != "faultline-console")
        .flat_map(|f| f.triggers.iter())
        .filter_map(|t| match t {
            Trigger::Http { method, path } => Some(format!("{} {path}", method.to_lowercase())),
            _ => None,
        })
        .collect();
    let doc = faultline_openapi::document();
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |method| format!("{method} {path}"))
        })
        .collect();
    assert_eq!(documented, declared);
}

#[test]
fn every_operation_is_complete() {
    let doc = faultline_openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            assert!(
                ids.insert(op["operationId"].to_string()),
                "{name}: operationId repeated"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name}: no success answer"
            );
            assert!(
                responses.contains_key("500"),
                "{name}: problem answers added"
            );
            for param in path.split('/').filter(|p| p.starts_with('{')) {
                let param = param.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    op["parameters"].as_array().is_some_and(|ps| ps
                        .iter()
                        .any(|p| p["name"] == param && p["in"] == "path")),
                    "{name}: path parameter {param} undocumented"
                );
            }
            if let Some(reference) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                let schema =
                    &doc["components"]["schemas"][reference.rsplit('/').next().expect("name")];
                assert_eq!(
                    schema["additionalProperties"],
                    Value::Bool(false),
                    "{name}: unknown fields are refused, and the schema says so"
                );
            }
        }
    }
}

#[test]
fn the_webhooks_are_the_event_catalogue() {
    let doc = faultline_openapi::document();
    let hooks = doc["webhooks"].as_object().expect("webhooks");
    let names: BTreeSet<&str> = hooks.keys().map(String::as_str).collect();
    let types: BTreeSet<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, types);
    for event_type in EventType::ALL.iter().copied() {
        let op = &hooks[event_type.as_str()]["post"];
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["properties"]["data"], describe(event_type).1);
        assert_eq!(schema["properties"]["type"]["const"], event_type.as_str());
        let headers: Vec<&str> = op["parameters"]
            .as_array()
            .expect("headers")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
}

#[tokio::test]
async fn the_api_serves_the_document_and_a_page_without_a_key() {
    let stack = TestStack::deploy().await;
    let response = faultline_api::handle(
        &stack.state,
        HttpEvent::load("api/get-openapi.json").key(None).request(),
    )
    .await;
    let (status, served) = faultline_testkit::json_of(&response);
    assert_eq!(status, 200);
    assert_eq!(served, faultline_openapi::document());

    let response = faultline_api::handle(
        &stack.state,
        HttpEvent::load("api/get-docs.json").key(None).request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let page = match response.body() {
        lambda_http::Body::Text(text) => text.clone(),
        other => panic!("unexpected body {other:?}"),
    };
    for path in served["paths"].as_object().expect("paths").keys() {
        assert!(
            page.contains(&format!("<code>{}</code>", path.replace('&', "&amp;"))),
            "{path} missing from the page"
        );
    }
    assert!(page.contains("incident.created"));
}

#[test]
fn answers_are_typed_by_their_views_and_incidents_match_the_webhooks() {
    let doc = faultline_openapi::document();
    let schema = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
            .clone()
    };
    let reference =
        |name: &str| serde_json::json!({"$ref": format!("#/components/schemas/{name}")});
    assert_eq!(
        schema("/v1/incidents/{id}", "get", "200"),
        reference("IncidentDetailView"),
        "the incident with its tickets"
    );
    assert_eq!(
        schema("/v1/issues/{id}", "get", "200"),
        reference("IncidentView")
    );
    assert_eq!(
        schema("/v1/incidents", "get", "200"),
        reference("IncidentPage")
    );
    assert_eq!(
        schema("/v1/endpoints", "post", "201"),
        reference("EndpointView")
    );
    assert_eq!(schema("/v1/audit", "get", "200"), reference("AuditPage"));
    assert_eq!(
        doc["components"]["schemas"]["IncidentPage"]["properties"]["items"]["items"],
        reference("IncidentView")
    );
    // The API's incident and the webhooks' incident are one shape: the same fields.
    let fields = |schema: &serde_json::Value| {
        let mut names: Vec<String> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        fields(&doc["components"]["schemas"]["IncidentView"]),
        fields(&faultline::domain::event_catalog::incident_schema())
    );
    let audit = &doc["components"]["schemas"]["AuditEntry"]["properties"];
    for field in [
        "seq",
        "actor",
        "action",
        "diff",
        "request_id",
        "source_ip",
        "prev_hash",
        "hash",
    ] {
        assert!(audit.get(field).is_some(), "AuditEntry documents {field}");
    }
    // No answer of a resource is left untyped.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for status in ["200", "201", "202"] {
                let documented =
                    &operation["responses"][status]["content"]["application/json"]["schema"];
                if documented.is_null() {
                    continue;
                }
                let free_form = documented == &serde_json::json!({"type": "object"});
                // Free-form: the document itself, and what the inbound pipeline answers a
                // provider (a pong, Slack's challenge or command reply, the accepted results).
                let allowed_free_form = [
                    "/v1/openapi.json",
                    "/v1/hooks/generic",
                    "/v1/hooks/github",
                    "/v1/hooks/jira",
                    "/v1/hooks/pagerduty",
                    "/v1/hooks/sentry",
                    "/v1/hooks/slack",
                    "/v1/hooks/deliveries",
                ]
                .iter()
                .any(|p| path.starts_with(p));
                assert!(
                    !free_form || allowed_free_form,
                    "{method} {path} {status} answers an untyped object"
                );
            }
        }
    }
}
