//! template.yaml is the single source of truth: every route and function it declares has a sample
//! event in events/, every sample event matches a declared route, and every declared route is
//! handled by its function (not answered with "no route").

use faultline_emulator::{Template, Trigger};
use faultline_local::functions::invoke_http;
use faultline_testkit::{workspace_root, HttpEvent, TestStack};
use std::collections::BTreeSet;

fn template() -> Template {
    let body = std::fs::read_to_string(workspace_root().join("template.yaml")).expect("template");
    Template::parse(&body).expect("parses")
}

/// `faultline-webhook-generic` → `webhook-generic`.
fn events_dir(binary: &str) -> String {
    binary.trim_start_matches("faultline-").to_owned()
}

fn event_files(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(workspace_root().join("events").join(dir))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_function_has_sample_events_and_every_http_event_names_a_declared_route() {
    let template = template();
    let mut declared = BTreeSet::new();
    for function in &template.functions {
        let dir = events_dir(&function.binary);
        let files = event_files(&dir);
        assert!(
            !files.is_empty(),
            "events/{dir}/ has no sample event for {}",
            function.logical_id
        );
        for trigger in &function.triggers {
            if let Trigger::Http { method, path } = trigger {
                declared.insert((dir.clone(), format!("{method} {path}")));
            }
        }
    }
    let mut sampled = BTreeSet::new();
    for function in &template.functions {
        let dir = events_dir(&function.binary);
        for file in event_files(&dir) {
            let event = HttpEvent::load(&format!("{dir}/{file}")).0;
            if let Some(route) = event["routeKey"].as_str() {
                assert_eq!(event["requestContext"]["routeKey"], route, "{dir}/{file}");
                // The router matches the path, so the path must be the route's, filled in.
                let mut path = route.split_once(' ').map_or("", |(_, p)| p).to_owned();
                if let Some(params) = event["pathParameters"].as_object() {
                    for (name, value) in params {
                        let value = value.as_str().unwrap_or("");
                        path = path.replace(&format!("{{{name}}}"), value);
                        path = path.replace(&format!("{{{name}+}}"), value);
                    }
                }
                assert_eq!(event["rawPath"], path.as_str(), "{dir}/{file}: rawPath");
                assert_eq!(
                    event["requestContext"]["http"]["path"],
                    path.as_str(),
                    "{dir}/{file}: requestContext.http.path"
                );
                sampled.insert((dir.clone(), route.to_owned()));
            }
        }
    }
    assert_eq!(
        sampled, declared,
        "sample HTTP events and template routes differ"
    );
}

#[tokio::test]
async fn every_declared_route_is_handled_by_its_function() {
    let stack = TestStack::deploy().await;
    let (_, key) = stack.tenant().await;
    for function in &template().functions {
        let dir = events_dir(&function.binary);
        for file in event_files(&dir) {
            let event = HttpEvent::load(&format!("{dir}/{file}"));
            if event.0.get("routeKey").is_none() {
                continue;
            }
            let request = event.key(Some(key.expose())).request();
            let response = invoke_http(&stack.state, &function.binary, request)
                .await
                .unwrap_or_else(|| panic!("{} is not hosted as an HTTP function", function.binary));
            let (status, body) = faultline_testkit::json_of(&response);
            let detail = body["detail"].as_str().unwrap_or_default();
            assert!(
                !detail.starts_with("no route"),
                "{dir}/{file}: the function does not handle its declared route ({status} {detail})"
            );
            assert!(status < 500, "{dir}/{file}: {status} {body}");
        }
    }
}

/// The routes `template.yaml` gives a function, as API Gateway route keys.
fn template_routes(binary: &str) -> BTreeSet<String> {
    template()
        .functions
        .iter()
        .filter(|f| f.binary == binary)
        .flat_map(|f| &f.triggers)
        .filter_map(|trigger| match trigger {
            Trigger::Http { method, path } => Some(format!("{method} {path}")),
            _ => None,
        })
        .collect()
}

#[test]
fn the_routers_serve_exactly_the_routes_the_template_declares() {
    for (binary, router) in [
        ("faultline-api", faultline_api::routes().route_keys()),
        ("faultline-auth", faultline_auth::routes().route_keys()),
    ] {
        let served: BTreeSet<String> = router.into_iter().collect();
        let declared = template_routes(binary);
        assert_eq!(
            served.difference(&declared).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{binary} serves routes template.yaml does not declare"
        );
        assert_eq!(
            declared.difference(&served).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "template.yaml declares routes {binary} does not serve"
        );
    }
}
