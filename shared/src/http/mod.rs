//! The HTTP edge: the API functions' axum applications (typed extractors, the authentication and
//! audit layers, problem+json), and the API Gateway glue the inbound webhook functions still use.

mod app;
mod authorize;
mod extract;
mod layers;
pub mod openapi;
mod problem;
mod request;
mod response;
mod validate;
mod webhook;

pub use app::{call, Route, RouteList, Routes};
pub use authorize::{require_platform_admin, require_scope, require_tenant};
#[doc(hidden)]
pub use axum as __axum;
pub use extract::{
    scopes, Authorized, FromPathParams, Json, OptionalJson, Page, Path, PathId, Query, RawBody,
    RequestMeta, RequiredScope,
};
pub use layers::{record_refusal, Audited, AuditedMutation, Refusal};
pub use problem::{ApiError, PROBLEM_CONTENT_TYPE};
pub use request::{
    basic_credentials, body_bytes, decode_json_bytes, nullable, path_id, request_id, MAX_BODY_BYTES,
};
pub use response::json_response;
#[doc(hidden)]
pub use utoipa_axum as __utoipa_axum;
pub use validate::{checked_description, checked_environment, checked_name};
pub use webhook::{handle_webhook, headers_of, outcome_parts, run_webhook};
