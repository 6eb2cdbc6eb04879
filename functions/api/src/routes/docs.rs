//! The API's own description: the OpenAPI document and a readable page rendered from it.

use axum::response::{Html, IntoResponse, Response};
use faultline::http::Json;
use faultline::text::escape_html;
use serde_json::Value;

/// The generated document, as committed (a test fails when it differs from the code).
const OPENAPI_JSON: &str = include_str!("../../openapi.json");

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).unwrap_or_default()
}

/// The OpenAPI document.
///
/// OpenAPI 3.1, generated from the handlers' annotations and body types, with the outgoing
/// webhooks under `webhooks`. Public.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    operation_id = "get_openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
)]
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}

/// API documentation.
///
/// A readable HTML page rendered from the OpenAPI document: every route with its scope,
/// parameters and bodies, and every webhook. Public.
#[utoipa::path(
    get,
    path = "/v1/docs",
    tag = "meta",
    operation_id = "get_docs",
    responses((status = 200, description = "An HTML page", content_type = "text/html")),
)]
pub async fn page() -> Response {
    Html(render(&document())).into_response()
}

/// Renders operations (grouped by tag, in document order) and webhooks as plain HTML: no scripts,
/// nothing fetched from elsewhere.
fn render(doc: &Value) -> String {
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut add = |tag: String, html: String| match sections.iter_mut().find(|(t, _)| *t == tag) {
        Some((_, body)) => body.push_str(&html),
        None => sections.push((tag, html)),
    };
    let empty = serde_json::Map::new();
    for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
        for (method, op) in item.as_object().unwrap_or(&empty) {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
            add(tag, operation_html(&method.to_uppercase(), path, op));
        }
    }
    for (name, item) in doc["webhooks"].as_object().unwrap_or(&empty) {
        add(
            "outgoing webhooks".into(),
            operation_html("POST", &format!("(your endpoint) ← {name}"), &item["post"]),
        );
    }
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Faultline API</title>\
         <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}\
         code,pre{font:13px ui-monospace,monospace}pre{background:#f6f8fa;padding:.5rem;overflow:auto}\
         .op{border-top:1px solid #ddd;padding:.5rem 0}.m{font-weight:bold;margin-right:.5rem}</style></head><body>",
    );
    html.push_str(&format!(
        "<h1>{} <small>{}</small></h1><p>{}</p><p>Machine-readable: <a href=\"/v1/openapi.json\">/v1/openapi.json</a></p>",
        escape_html(doc["info"]["title"].as_str().unwrap_or_default()),
        escape_html(doc["info"]["version"].as_str().unwrap_or_default()),
        escape_html(doc["info"]["description"].as_str().unwrap_or_default()),
    ));
    for (tag, body) in sections {
        html.push_str(&format!("<h2>{}</h2>{body}", escape_html(&tag)));
    }
    html.push_str("</body></html>");
    html
}

fn operation_html(method: &str, path: &str, op: &Value) -> String {
    let mut html = format!(
        "<div class=\"op\"><h3><span class=\"m\">{method}</span><code>{}</code></h3><p><b>{}</b></p><p>{}</p>",
        escape_html(path),
        escape_html(op["summary"].as_str().unwrap_or_default()),
        escape_html(op["description"].as_str().unwrap_or_default()),
    );
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str("<ul>");
        for p in params {
            html.push_str(&format!(
                "<li><code>{}</code> ({}{}) {}</li>",
                escape_html(p["name"].as_str().unwrap_or_default()),
                escape_html(p["in"].as_str().unwrap_or_default()),
                if p["required"] == Value::Bool(true) {
                    ", required"
                } else {
                    ""
                },
                escape_html(p["description"].as_str().unwrap_or_default()),
            ));
        }
        html.push_str("</ul>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        for (media, body) in content {
            let schema = serde_json::to_string_pretty(&body["schema"]).unwrap_or_default();
            html.push_str(&format!(
                "<p>Body (<code>{}</code>):</p><pre>{}</pre>",
                escape_html(media),
                escape_html(&schema)
            ));
        }
    }
    let statuses: Vec<String> = op["responses"]
        .as_object()
        .map(|r| {
            r.iter()
                .map(|(status, resp)| {
                    format!(
                        "<code>{}</code> {}",
                        escape_html(status),
                        escape_html(resp["description"].as_str().unwrap_or_default())
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    html.push_str(&format!("<p>{}</p></div>", statuses.join("<br>")));
    html
}
