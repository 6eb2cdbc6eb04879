//! Custom roles: a tenant redefines `manager`, `developer` and `viewer` and adds its own; `admin`
//! stays every scope; a change reaches tokens already issued on their next request; no caller
//! defines or strips a role beyond its own scopes; every change is audited.

use crate::call;
use crate::users::sign_in;
use faultline::domain::Scope;
use faultline::services::api_keys::issue_api_key;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn define(key: &str, name: &str, body: Value) -> HttpEvent {
    HttpEvent::load("api/define-role.json")
        .path_param("name", name)
        .key(Some(key))
        .body_json(&body)
}

fn delete(key: &str, name: &str) -> HttpEvent {
    HttpEvent::load("api/delete-role.json")
        .path_param("name", name)
        .key(Some(key))
}

fn scopes_of(view: &Value) -> Vec<&str> {
    let mut scopes: Vec<&str> = view["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    scopes.sort_unstable();
    scopes
}

#[tokio::test]
async fn a_tenant_redefines_and_adds_roles_and_tokens_follow_on_their_next_request() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let admin = admin.expose();

    // Its own role, then a user holding it.
    let (status, auditor) = call(
        &stack,
        &define(
            admin,
            "auditor",
            json!({"scopes": ["incidents:read", "audit:read"], "description": "Reads the audit log"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{auditor}");
    assert_eq!(scopes_of(&auditor), ["audit:read", "incidents:read"]);
    assert_eq!(
        (
            auditor["built_in"].as_bool(),
            auditor["redefined"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (status, ana) = call(
        &stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin))
            .body_json(
                &json!({"email": "ana@example.com", "password": PASSWORD, "role": "auditor"}),
            ),
    )
    .await;
    assert_eq!(status, 201, "{ana}");
    assert_eq!(ana["role"], "auditor");
    assert_eq!(scopes_of(&ana), ["audit:read", "incidents:read"]);
    let (status, bo) = call(
        &stack,
        &HttpEvent::load("api/create-user.json")
            .key(Some(admin))
            .body_json(&json!({"email": "bo@example.com", "password": PASSWORD, "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 201, "{bo}");

    let ana_token = sign_in(&stack, &tenant, "ana@example.com", PASSWORD)
        .await
        .expect("token")
        .access_token;
    let bo_token = sign_in(&stack, &tenant, "bo@example.com", PASSWORD)
        .await
        .expect("token")
        .access_token;
    let audit = |token: &str| HttpEvent::load("api/list-audit.json").key(Some(token));
    let incidents = |token: &str| HttpEvent::load("api/list-incidents.json").key(Some(token));
    let projects = |token: &str| HttpEvent::load("api/list-projects.json").key(Some(token));
    assert_eq!(call(&stack, &audit(&ana_token)).await.0, 200);
    assert_eq!(call(&stack, &incidents(&bo_token)).await.0, 200);

    // Redefining a built-in and the custom role reaches the tokens already issued.
    let (status, viewer) = call(
        &stack,
        &define(admin, "viewer", json!({"scopes": ["projects:read"]})),
    )
    .await;
    assert_eq!(status, 200, "{viewer}");
    assert_eq!(viewer["redefined"], true);
    assert_eq!(
        call(&stack, &incidents(&bo_token)).await.0,
        403,
        "viewer no longer reads incidents"
    );
    assert_eq!(call(&stack, &projects(&bo_token)).await.0, 200);
    let (status, _) = call(
        &stack,
        &define(admin, "auditor", json!({"scopes": ["incidents:read"]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        call(&stack, &audit(&ana_token)).await.0,
        403,
        "audit:read is gone at once"
    );
    assert_eq!(call(&stack, &incidents(&ana_token)).await.0, 200);

    // A fresh sign-in is granted what the role now holds, and the listing shows it.
    let fresh = sign_in(&stack, &tenant, "bo@example.com", PASSWORD)
        .await
        .expect("token");
    assert_eq!(fresh.scope, "projects:read");
    let (status, listed) = call(
        &stack,
        &HttpEvent::load("api/list-roles.json").key(Some(admin)),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["admin", "manager", "developer", "viewer", "auditor"]
    );
    assert_eq!(
        listed["items"][0]["scopes"].as_array().map(Vec::len),
        Some(Scope::ALL.len())
    );

    // Deleting: a held custom role is refused; a built-in returns to its default.
    let (status, problem) = call(&stack, &delete(admin, "auditor")).await;
    assert_eq!(status, 409, "{problem}");
    let (status, _) = call(&stack, &delete(admin, "viewer")).await;
    assert_eq!(status, 204);
    assert_eq!(
        call(&stack, &incidents(&bo_token)).await.0,
        200,
        "viewer is back to its default"
    );
    let (status, _) = call(&stack, &delete(admin, "viewer")).await;
    assert_eq!(status, 404, "nothing left to restore");
    let ana_id = ana["id"].as_str().expect("id");
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/update-user.json")
            .path_param("id", ana_id)
            .key(Some(admin))
            .body_json(&json!({"role": "viewer"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(call(&stack, &delete(admin, "auditor")).await.0, 204);
    let (status, problem) = call(
        &stack,
        &HttpEvent::load("api/update-user.json")
            .path_param("id", ana_id)
            .key(Some(admin))
            .body_json(&json!({"role": "auditor"})),
    )
    .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("role")),
        "a deleted role cannot be given"
    );

    // Every change is on the audit chain, with the scopes before and after.
    let (_, log) = call(&stack, &audit(admin).query("")).await;
    let role_entries: Vec<&Value> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["resource_type"] == "roles" && e["status"].as_u64() < Some(300))
        .collect();
    let actions: Vec<String> = role_entries
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap_or(""),
                e["resource_id"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "DELETE /v1/roles/{name} auditor",
            "DELETE /v1/roles/{name} viewer",
            "PUT /v1/roles/{name} auditor",
            "PUT /v1/roles/{name} viewer",
            "PUT /v1/roles/{name} auditor",
        ],
        "{log}"
    );
    let redefined_viewer = role_entries[3];
    assert_eq!(
        redefined_viewer["diff"]["scopes"]["after"],
        json!(["projects:read"])
    );
    assert!(redefined_viewer["diff"]["scopes"]["before"]
        .as_array()
        .expect("before")
        .contains(&json!("incidents:read")));
}

#[tokio::test]
async fn roles_stay_within_the_callers_scopes_and_admin_is_fixed() {
    let stack = TestStack::deploy().await;
    let (tenant, admin) = stack.tenant().await;
    let admin = admin.expose();
    let (settings_only, _) = issue_api_key(
        &stack.state,
        &tenant,
        "settings",
        vec![
            Scope::TenantManage,
            Scope::IncidentsRead,
            Scope::UsersManage,
        ],
    )
    .await
    .expect("key");
    let settings_only = settings_only.expose();

    for (name, body, status, field) in [
        ("admin", json!({"scopes": []}), 409, None),
        ("Bad Name", json!({"scopes": []}), 422, Some("name")),
        (
            "auditor",
            json!({"scopes": ["audit:nope"]}),
            422,
            Some("scopes"),
        ),
        (
            "auditor",
            json!({"scopes": [], "colour": "red"}),
            422,
            Some("colour"),
        ),
    ] {
        let (got, problem) = call(&stack, &define(admin, name, body.clone())).await;
        assert_eq!(
            (got, problem["field"].as_str()),
            (status, field),
            "{name} {body}: {problem}"
        );
    }
    let (status, problem) = call(&stack, &delete(admin, "admin")).await;
    assert_eq!(status, 409, "{problem}");
    let (status, problem) = call(&stack, &delete(admin, "+Ø(")).await;
    assert_eq!(
        status, 404,
        "a name no role can have names no role: {problem}"
    );

    // A caller cannot give a role more than it holds, nor strip a role that holds more.
    let (status, problem) = call(
        &stack,
        &define(settings_only, "auditor", json!({"scopes": ["audit:read"]})),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    let (status, problem) = call(
        &stack,
        &define(
            settings_only,
            "manager",
            json!({"scopes": ["incidents:read"]}),
        ),
    )
    .await;
    assert_eq!(
        status, 403,
        "manager holds scopes the caller does not: {problem}"
    );
    let (status, _) = call(
        &stack,
        &define(
            settings_only,
            "triage",
            json!({"scopes": ["incidents:read"]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "within its own scopes it may");

    // Without tenant:manage, no role changes at all; nothing was stored by the refusals.
    let (reader, _) = issue_api_key(&stack.state, &tenant, "reader", vec![Scope::UsersManage])
        .await
        .expect("key");
    let (status, _) = call(
        &stack,
        &define(reader.expose(), "triage", json!({"scopes": []})),
    )
    .await;
    assert_eq!(status, 403);
    let roles = stack
        .state
        .store
        .tenant_roles(&tenant)
        .await
        .expect("roles");
    assert_eq!(
        roles
            .all()
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect::<Vec<_>>(),
        ["admin", "manager", "developer", "viewer", "triage"]
    );
    assert_eq!(
        roles.scopes(&faultline::domain::Role::Manager),
        faultline::domain::Role::Manager.default_scopes()
    );
}
