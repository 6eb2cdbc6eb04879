//! Projects: unique slugs from names, validation, changes, deletion, and isolation between
//! tenants and scopes.

use crate::call;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

#[tokio::test]
async fn projects_get_unique_slugs_change_and_are_deleted() {
    let stack = TestStack::deploy().await;
    let (tenant, key) = stack.tenant().await;
    let (_, stranger) = stack.tenant().await;
    let key = Some(key.expose());
    let create = |body: Value| {
        HttpEvent::load("api/create-project.json")
            .key(key)
            .body_json(&body)
    };

    let (status, first) = call(&stack, &create(json!({"name": "Checkout API (EU)"}))).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["slug"], "checkout-api-eu");
    assert_eq!(first["environment"], "production");
    assert_eq!(first["active"], true);
    let (_, second) = call(
        &stack,
        &create(json!({"name": "checkout api eu", "environment": "staging"})),
    )
    .await;
    assert_eq!(
        second["slug"], "checkout-api-eu-2",
        "slugs are unique within the tenant"
    );
    assert_eq!(second["environment"], "staging");
    let (_, elsewhere) = call(
        &stack,
        &HttpEvent::load("api/create-project.json")
            .key(Some(stranger.expose()))
            .body_json(&json!({"name": "Checkout API (EU)"})),
    )
    .await;
    assert_eq!(
        elsewhere["slug"], "checkout-api-eu",
        "another tenant has its own slugs"
    );

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (
            json!({"name": "x", "environment": "Prod Env"}),
            "environment",
        ),
        (json!({"name": "x", "owner": "me"}), "owner"),
        (json!({"description": "no name"}), "name"),
    ] {
        let (status, problem) = call(&stack, &create(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }

    let id = first["id"].as_str().expect("id");
    let patch = |body: Value| {
        HttpEvent::load("api/update-project.json")
            .path_param("id", id)
            .key(key)
            .body_json(&body)
    };
    let (status, renamed) =
        call(&stack, &patch(json!({"name": "Checkout", "active": false}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (renamed["name"].as_str(), renamed["slug"].as_str()),
        (Some("Checkout"), Some("checkout-api-eu")),
        "a rename keeps the slug"
    );
    assert_eq!(renamed["active"], false);
    let (status, problem) = call(&stack, &patch(json!({"slug": "checkout-api-eu-2"}))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("slug")),
        "taken"
    );
    let (status, problem) = call(&stack, &patch(json!({"slug": "Bad Slug"}))).await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("slug")));
    let (status, moved) = call(&stack, &patch(json!({"slug": "checkout"}))).await;
    assert_eq!((status, moved["slug"].as_str()), (200, Some("checkout")));
    let found = stack
        .state
        .store
        .find_project_by_slug(&tenant, "checkout")
        .await
        .expect("read");
    assert_eq!(found.map(|p| p.id.to_string()), Some(id.to_owned()));
    assert!(
        stack
            .state
            .store
            .find_project_by_slug(&tenant, "checkout-api-eu")
            .await
            .expect("read")
            .is_none(),
        "the old slug is released"
    );

    for file in [
        "get-project.json",
        "update-project.json",
        "delete-project.json",
    ] {
        let (status, _) = call(
            &stack,
            &HttpEvent::load(&format!("api/{file}"))
                .path_param("id", id)
                .key(Some(stranger.expose())),
        )
        .await;
        assert_eq!(status, 404, "{file} as another tenant");
    }
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::ProjectsRead])
        .await
        .expect("key");
    let (status, problem) = call(
        &stack,
        &patch(json!({"active": true})).key(Some(reader.expose())),
    )
    .await;
    assert_eq!(
        (status, problem["missing_scope"].as_str()),
        (403, Some("projects:write"))
    );
    let (status, listed) = call(
        &stack,
        &HttpEvent::load("api/list-projects.json").key(Some(reader.expose())),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));

    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-project.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/get-project.json")
            .path_param("id", id)
            .key(key),
    )
    .await;
    assert_eq!(status, 404);
    let (_, again) = call(&stack, &create(json!({"name": "Checkout"}))).await;
    assert_eq!(
        again["slug"], "checkout",
        "a deleted project's slug is free again"
    );
}
