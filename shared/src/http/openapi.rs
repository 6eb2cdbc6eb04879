//! The OpenAPI 3.1 document, generated from the handlers: every function annotates its routes
//! (`#[utoipa::path]`) and derives the schemas of the bodies it decodes (`ToSchema`), and
//! [`document`] joins the parts, adds what every route shares (security, problem responses) and
//! the outgoing webhooks from the event catalogue.

use crate::domain::event_catalog::describe;
use crate::domain::EventType;
use serde_json::{json, Map, Value};
use utoipa::openapi::OpenApi;
use utoipa::{IntoParams, ToSchema};

/// An RFC 9457 problem document: every error answer.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema, never built
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g.
    /// `https://faultline.dev/problems/validation-failed`.
    r#type: String,
    /// Short summary of the kind.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong with this request.
    detail: String,
    /// The request id (also in logs).
    request_id: String,
    /// The body field or query parameter at fault, when there is one.
    field: Option<String>,
    /// The scope the credential lacks (403 `missing-scope`).
    missing_scope: Option<String>,
}

/// A page of a list: at most `limit` items and the cursor of the next page.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // a schema, never built
pub struct ItemList {
    /// The items, in the list's order.
    items: Vec<Value>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Cursor pagination, shared by every list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // parameters, never built
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Routes anyone may call: no API key (inbound webhooks carry the provider's signature instead).
fn is_public(path: &str) -> bool {
    matches!(path, "/health" | "/v1/openapi.json" | "/v1/docs")
        || path.starts_with("/v1/hooks/") && !path.starts_with("/v1/hooks/deliveries")
}

/// The whole document from the functions' parts, with `version` as the API version.
pub fn document(parts: Vec<OpenApi>, version: &str) -> Value {
    let mut merged = OpenApi::default();
    for part in parts {
        merged.merge(part);
    }
    let mut doc = serde_json::to_value(&merged).unwrap_or_default();
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "Faultline",
        "version": version,
        "summary": "Errors and incidents in, signed webhooks out.",
        "description": "The Faultline hub's REST API. Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>`; errors are `application/problem+json`; lists page with `limit` and `cursor`. Another tenant's ids answer 404. The outgoing webhooks Faultline sends are described under `webhooks`, signed per Standard Webhooks.",
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
    });
    doc["servers"] = json!([{"url": "/", "description": "The API Gateway stage (or `make dev`'s local gateway)"}]);
    doc["security"] = json!([{"bearer": []}, {"api_key": []}]);
    let components = doc["components"]
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut components = Value::Object(components);
    components["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer", "description": "An API key (`sk_…`)."},
        "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key (`sk_…`)."},
    });
    components["schemas"]["Problem"] = schema_of::<Problem>();
    components["schemas"]["ItemList"] = schema_of::<ItemList>();
    doc["components"] = components;
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(operations) = item.as_object_mut() else {
                continue;
            };
            for operation in operations.values_mut() {
                complete_operation(path, operation);
            }
        }
    }
    doc["webhooks"] = webhooks();
    doc
}

fn schema_of<T: ToSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap_or_default()
}

/// Adds the problem answers a route can give, from what it takes: credentials (401, 403), path
/// ids (404), a body (400, 413, 422), query parameters (400); and 500/503 everywhere.
fn complete_operation(path: &str, operation: &mut Value) {
    let public = is_public(path);
    if public {
        operation["security"] = json!([]);
    }
    let params: Vec<String> = operation["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["in"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let has_body = operation.get("requestBody").is_some();
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if !public {
        errors.push((
            "401",
            "No valid credential: missing, unknown, expired or revoked key.",
        ));
        errors.push((
            "403",
            "The credential lacks the scope this route needs (`missing_scope`).",
        ));
    }
    if params.iter().any(|p| p == "path") {
        errors.push((
            "404",
            "No such resource for this tenant (another tenant's ids too).",
        ));
    }
    if has_body {
        errors.push(("400", "The body is not valid JSON."));
        errors.push(("413", "The body is over the size limit."));
        errors.push((
            "422",
            "A field is missing, unknown or invalid (`field` names it).",
        ));
    } else if params.iter().any(|p| p == "query") {
        errors.push(("400", "A query parameter is invalid (`field` names it)."));
    }
    errors.push((
        "500",
        "An internal error; details are logged with the request id.",
    ));
    errors.push(("503", "A dependency is unavailable; retry."));
    let limited = !matches!(path, "/health" | "/v1/openapi.json" | "/v1/docs");
    let responses = operation["responses"].as_object_mut();
    let Some(responses) = responses else { return };
    for (status, description) in errors {
        responses.entry(status.to_owned()).or_insert_with(|| {
            json!({
                "description": description,
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            })
        });
    }
    if limited {
        // Every key, user token, integration, tenant and sign-in has a per-minute budget.
        responses.entry("429".to_owned()).or_insert_with(|| {
            json!({
                "description": "Over a rate limit (the problem names it): retry after `Retry-After` seconds.",
                "headers": {"Retry-After": {"description": "Seconds until the limit resets.", "schema": {"type": "integer"}}},
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            })
        });
    }
}

/// One webhook per event type: the POST Faultline makes, its Standard Webhooks headers, and the
/// envelope with the type's `data` schema from the event catalogue.
fn webhooks() -> Value {
    let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
    let parameters = json!([
        header("webhook-id", "The message id (`msg_…`), stable across retries: deduplicate on it."),
        header("webhook-timestamp", "Unix seconds of this attempt; reject stale ones."),
        header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `{id}.{timestamp}.{body}` (several during a secret rotation)."),
    ]);
    let mut hooks = Map::new();
    for event_type in EventType::ALL.iter().copied() {
        let (description, data) = describe(event_type);
        let name = event_type.as_str();
        let envelope = json!({
            "type": "object",
            "required": ["id", "type", "timestamp", "data"],
            "properties": {
                "id": {"type": "string", "description": "The event id (`evt_…`)."},
                "type": {"const": name},
                "timestamp": {"type": "string", "format": "date-time"},
                "data": data,
            },
        });
        hooks.insert(
            name.to_owned(),
            json!({"post": {
                "operationId": format!("webhook.{name}"),
                "summary": description,
                "tags": ["webhooks"],
                "security": [],
                "parameters": parameters,
                "requestBody": {"required": true, "content": {"application/json": {"schema": envelope}}},
                "responses": {
                    "2XX": {"description": "Received. Any 2xx within 15 s is success."},
                    "410": {"description": "Gone: the endpoint is disabled, no retries."},
                    "429": {"description": "Throttled: retried after at least 60 s, honouring `Retry-After`."},
                    "default": {"description": "Failed: retried on the endpoint's schedule."},
                },
            }}),
        );
    }
    Value::Object(hooks)
}
