//! The hub's OpenAPI 3.1 document, generated from every HTTP function's route annotations. The
//! generated file is committed at [`COMMITTED_PATH`] (the `api` function serves it at
//! `GET /v1/openapi.json`); a test fails when the two differ. Regenerate with `make openapi`.

use serde_json::Value;

/// Where the document is committed, from the workspace root.
pub const COMMITTED_PATH: &str = "functions/api/openapi.json";

/// The document, from the `api`, `auth` and inbound webhook functions.
pub fn document() -> Value {
    faultline::http::openapi::document(
        vec![
            faultline_api::openapi(),
            faultline_auth::openapi(),
            faultline_webhook_generic::openapi(),
            faultline_webhook_github::openapi(),
            faultline_webhook_jira::openapi(),
            faultline_webhook_pagerduty::openapi(),
            faultline_webhook_sentry::openapi(),
            faultline_webhook_slack::openapi(),
        ],
        env!("CARGO_PKG_VERSION"),
    )
}

/// The document as committed: pretty JSON with a final newline.
pub fn render() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
