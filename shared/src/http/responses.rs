//! The JSON Schemas of what the API answers, for the OpenAPI document. The answers are built by
//! each resource's `to_json`; a test calls every route of the `api` function and checks its answer
//! against the schema documented here (types, required fields, and no undocumented field), so a
//! change to an answer that is not made here too fails.

use serde_json::{json, Value};

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn page(name: &str) -> Value {
    object(
        &["items", "next_cursor"],
        json!({"items": {"type": "array", "items": reference(name)}, "next_cursor": nullable("string")}),
    )
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// The resource schemas, by component name.
pub fn components() -> Vec<(&'static str, Value)> {
    let tenant = object(
        &["id", "name", "created_at", "settings"],
        json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "created_at": time(),
            "settings": object(&[], json!({
                "retry_schedule": {"type": ["array", "null"], "items": {"type": "integer"}},
                "api_rate_limit_per_minute": nullable("integer"),
            })),
        }),
    );
    let api_key = object(
        &[
            "id",
            "name",
            "scopes",
            "prefix",
            "created_at",
            "usage_count",
        ],
        json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "scopes": strings(),
            "prefix": {"type": "string", "description": "`sk_<id>_`: the public part of the key"},
            "created_at": time(), "expires_at": nullable("string"), "revoked_at": nullable("string"),
            "last_used_at": nullable("string"), "usage_count": {"type": "integer"},
            "key": {"type": "string", "description": "The key itself: only in the answer that creates it"},
        }),
    );
    let endpoint = object(
        &[
            "id",
            "url",
            "description",
            "event_types",
            "enabled",
            "headers",
            "created_at",
            "updated_at",
        ],
        json!({
            "id": {"type": "string"}, "url": {"type": "string"}, "description": {"type": "string"},
            "event_types": strings(), "enabled": {"type": "boolean"},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "rate_limit": nullable("integer"), "failing_since": nullable("string"),
            "disabled_reason": nullable("string"), "created_at": time(), "updated_at": time(),
            "secret": {"type": "string", "description": "The `whsec_` signing secret: only in the answer that creates the endpoint"},
        }),
    );
    let integration = object(
        &[
            "id",
            "source",
            "name",
            "config",
            "has_secret",
            "webhook_path",
            "created_at",
        ],
        json!({
            "id": {"type": "string"}, "source": {"type": "string"}, "name": {"type": "string"},
            "project_id": nullable("string"), "config": {"type": "object"},
            "has_secret": {"type": "boolean"}, "webhook_path": {"type": "string"}, "created_at": time(),
        }),
    );
    let project = object(
        &[
            "id",
            "name",
            "slug",
            "description",
            "environment",
            "active",
            "created_at",
            "updated_at",
        ],
        json!({
            "id": {"type": "string"}, "name": {"type": "string"}, "slug": {"type": "string"},
            "description": {"type": "string"}, "environment": {"type": "string"},
            "active": {"type": "boolean"}, "created_at": time(), "updated_at": time(),
        }),
    );
    let user = object(
        &[
            "id",
            "email",
            "role",
            "extra_scopes",
            "scopes",
            "active",
            "created_at",
            "updated_at",
        ],
        json!({
            "id": {"type": "string"}, "email": {"type": "string"},
            "role": {"enum": ["admin", "manager", "developer", "viewer"]},
            "extra_scopes": strings(), "scopes": strings(), "active": {"type": "boolean"},
            "created_at": time(), "updated_at": time(),
        }),
    );
    let sentry_config = object(
        &[
            "id",
            "project_id",
            "environment",
            "dsn",
            "org",
            "project",
            "has_auth_token",
            "tracesSampleRate",
            "replaysSessionSampleRate",
            "replaysOnErrorSampleRate",
            "active",
        ],
        json!({
            "id": {"type": "string"}, "project_id": {"type": "string"}, "environment": {"type": "string"},
            "dsn": {"type": "string", "description": "Masked unless revealed"}, "org": {"type": "string"},
            "project": {"type": "string"}, "has_auth_token": {"type": "boolean"},
            "tracesSampleRate": {"type": "number"}, "replaysSessionSampleRate": {"type": "number"},
            "replaysOnErrorSampleRate": {"type": "number"}, "active": {"type": "boolean"},
            "created_at": time(), "updated_at": time(),
        }),
    );
    let application_config = object(
        &["dsn", "environment", "org", "project", "config"],
        json!({
            "dsn": {"type": "string"}, "environment": {"type": "string"}, "org": {"type": "string"},
            "project": {"type": "string"},
            "config": object(&["tracesSampleRate", "replaysSessionSampleRate", "replaysOnErrorSampleRate"], json!({
                "tracesSampleRate": {"type": "number"}, "replaysSessionSampleRate": {"type": "number"},
                "replaysOnErrorSampleRate": {"type": "number"},
            })),
        }),
    );
    let delivery = object(
        &["endpoint_id", "status", "attempts"],
        json!({
            "endpoint_id": {"type": "string"},
            "status": {"enum": ["pending", "succeeded", "failed", "exhausted"]},
            "attempts": {"type": "integer"}, "next_attempt_at": nullable("string"), "updated_at": time(),
        }),
    );
    let message = object(
        &[
            "id",
            "event_id",
            "event_type",
            "payload",
            "payload_bytes",
            "payload_stored",
            "endpoints_by_status",
            "created_at",
        ],
        json!({
            "id": {"type": "string"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
            "payload": {"description": "The body sent; `null` in listings when it is kept in S3"},
            "payload_bytes": {"type": "integer"}, "payload_stored": {"enum": ["inline", "s3"]},
            "status": {"type": ["string", "null"], "enum": ["pending", "succeeded", "failed", "exhausted", null]},
            "endpoints_by_status": object(&["pending", "succeeded", "failed", "exhausted"], json!({
                "pending": {"type": "integer"}, "succeeded": {"type": "integer"},
                "failed": {"type": "integer"}, "exhausted": {"type": "integer"},
            })),
            "created_at": time(),
            "deliveries": {"type": "array", "items": delivery, "description": "Only in `GET /v1/messages/{id}`"},
        }),
    );
    let attempt = object(
        &[
            "message_id",
            "endpoint_id",
            "attempt",
            "url",
            "outcome",
            "started_at",
            "status_code",
            "latency_ms",
            "response_excerpt",
        ],
        json!({
            "message_id": {"type": "string"}, "endpoint_id": {"type": "string"}, "attempt": {"type": "integer"},
            "url": {"type": "string"}, "outcome": {"enum": ["in_flight", "succeeded", "failed"]},
            "started_at": time(), "status_code": {"type": "integer"}, "latency_ms": {"type": "integer"},
            "response_excerpt": {"type": "string"}, "error": nullable("string"), "error_kind": nullable("string"),
            "next_attempt_at": nullable("string"),
        }),
    );
    let frame = object(
        &[],
        json!({
            "filename": nullable("string"), "function": nullable("string"), "module": nullable("string"),
            "lineno": nullable("integer"), "colno": nullable("integer"), "in_app": nullable("boolean"),
            "pre_context": strings(), "context_line": nullable("string"), "post_context": strings(),
        }),
    );
    let error_event = object(
        &[
            "event_id",
            "issue_id",
            "title",
            "occurred_at",
            "tags",
            "exceptions",
        ],
        json!({
            "event_id": {"type": "string"}, "issue_id": {"type": "string"}, "incident_id": nullable("string"),
            "title": {"type": "string"}, "message": nullable("string"), "level": nullable("string"),
            "platform": nullable("string"), "culprit": nullable("string"), "release": nullable("string"),
            "environment": nullable("string"), "occurred_at": time(),
            "tags": {"type": "array", "items": object(&["key", "value"], json!({"key": {"type": "string"}, "value": {"type": "string"}}))},
            "exceptions": {"type": "array", "items": object(&["frames", "frames_omitted"], json!({
                "kind": nullable("string"), "value": nullable("string"), "mechanism": nullable("string"),
                "handled": nullable("boolean"), "frames": {"type": "array", "items": frame},
                "frames_omitted": {"type": "integer"},
            }))},
            "url": nullable("string"),
        }),
    );
    vec![
        ("Tenant", tenant),
        ("ApiKey", api_key),
        ("Endpoint", endpoint),
        ("Integration", integration),
        ("Project", project),
        ("User", user),
        ("SentryConfig", sentry_config),
        ("SentryApplicationConfig", application_config),
        ("Message", message),
        ("Attempt", attempt),
        ("ErrorEvent", error_event),
    ]
}

/// The success answer's schema of an operation, when it is one of the resources above.
pub fn for_operation(operation_id: &str) -> Option<Value> {
    let one = |name: &str| Some(reference(name));
    match operation_id {
        "create_tenant" => Some(object(
            &["tenant", "api_key"],
            json!({"tenant": reference("Tenant"), "api_key": reference("ApiKey")}),
        )),
        "get_tenant" | "update_tenant" => one("Tenant"),
        "create_project" | "get_project" | "update_project" => one("Project"),
        "list_projects" => Some(page("Project")),
        "create_user" | "get_user" | "update_user" => one("User"),
        "list_users" => Some(page("User")),
        "create_integration" => one("Integration"),
        "list_integrations" => Some(page("Integration")),
        "create_endpoint" | "get_endpoint" | "update_endpoint" => one("Endpoint"),
        "list_endpoints" => Some(page("Endpoint")),
        "rotate_endpoint_secret" => Some(object(
            &["secret", "previous_secrets_valid_until"],
            json!({
                "secret": {"type": "string"}, "previous_secrets_valid_until": {"type": "array", "items": time()},
            }),
        )),
        "get_endpoint_secret" => Some(object(&["secret"], json!({"secret": {"type": "string"}}))),
        "test_endpoint" => Some(object(
            &["message_id"],
            json!({"message_id": {"type": "string"}}),
        )),
        "recover_endpoint" => Some(object(&["queued"], json!({"queued": {"type": "integer"}}))),
        "list_messages" => Some(page("Message")),
        "get_message" => one("Message"),
        "list_message_attempts" => Some(page("Attempt")),
        "retry_message" => Some(object(
            &["queued_endpoints"],
            json!({"queued_endpoints": strings()}),
        )),
        "redrive_dead_letters" => Some(object(
            &["redriven"],
            json!({"redriven": {"type": "integer"}}),
        )),
        "list_sentry_configs" => Some(page("SentryConfig")),
        "create_sentry_config" | "update_sentry_config" => one("SentryConfig"),
        "get_application_sentry_config" => one("SentryApplicationConfig"),
        "get_error_event" => one("ErrorEvent"),
        "list_api_keys" => Some(page("ApiKey")),
        "create_api_key" => one("ApiKey"),
        _ => None,
    }
}
