//! API Gateway (HTTP API, payload 2.0) glue: reading requests, writing JSON and problem+json.

mod authorize;
pub mod openapi;
mod problem;
mod request;
mod response;
pub mod responses;
mod serve;
mod validate;

pub use authorize::{require_platform_admin, require_scope};
pub use problem::{ApiError, PROBLEM_CONTENT_TYPE};
pub use request::{
    basic_credentials, body_bytes, decode_body, decode_optional_body, form_body, json_body,
    nullable, page_request, path_id, query_param, request_id, route_key, time_param,
    MAX_BODY_BYTES,
};
pub use response::{json_response, no_content, page_response};
pub use serve::{record_refusal, serve, source_ip, Refusal, Router};
pub use validate::{checked_description, checked_environment, checked_name};
