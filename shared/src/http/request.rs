//! Reading API Gateway requests: ids, route, parameters, bounded bodies, typed JSON.

use super::ApiError;
use crate::store::PageRequest;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest body any route accepts: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// API Gateway's request id (also in its access logs), or a fresh one when absent.
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

/// The route API Gateway matched, e.g. `GET /v1/incidents/{id}`: handlers dispatch on it, so the
/// template stays the one place routes are declared.
pub fn route_key(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    }
    .unwrap_or_default()
}

/// A path parameter parsed as an id; a malformed id is "not found", not a 400, so ids leak no
/// information about their format checks.
pub fn path_id<T>(
    req: &Request,
    name: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, ApiError> {
    let raw = req
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .unwrap_or_default()
        .to_owned();
    parse(&raw).ok_or_else(|| ApiError::not_found(what, &raw))
}

/// A query-string parameter.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_owned)
}

/// `limit` and `cursor` from the query string.
pub fn page_request(req: &Request) -> Result<PageRequest, ApiError> {
    let limit = match query_param(req, "limit") {
        None => None,
        Some(text) => Some(
            text.parse::<i32>()
                .ok()
                .filter(|n| (1..=PageRequest::MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::bad_parameter(
                        "limit",
                        format!(
                            "limit must be a whole number from 1 to {}",
                            PageRequest::MAX_LIMIT
                        ),
                    )
                })?,
        ),
    };
    Ok(PageRequest {
        limit,
        cursor: query_param(req, "cursor").filter(|c| !c.is_empty()),
    })
}

/// The exact body bytes (API Gateway's base64 already decoded by lambda_http), refused over
/// `limit`.
pub fn body_bytes(req: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// The body as a JSON object: 413 over the limit, 400 when not JSON, 422 when not an object.
pub fn json_body(req: &Request) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bytes = body_bytes(req, MAX_BODY_BYTES)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".into()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::validation("", "the body must be a JSON object")),
        Err(err) => Err(ApiError::MalformedJson(err.to_string())),
    }
}

/// The body decoded into a typed request: unknown or missing fields and wrong types are 422s that
/// name the field.
pub fn decode_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let map = json_body(req)?;
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        let field = if path == "." {
            between_backticks(&inner).unwrap_or_default()
        } else {
            path
        };
        ApiError::validation(field, inner)
    })
}

fn between_backticks(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let end = start + text[start..].find('`')?;
    Some(text[start..end].to_owned())
}

/// Like [`decode_body`], but an empty body means "all defaults" (for actions whose options are
/// all optional, such as a retry or a rotation).
pub fn decode_optional_body<T: DeserializeOwned + Default>(req: &Request) -> Result<T, ApiError> {
    if body_bytes(req, MAX_BODY_BYTES)?
        .iter()
        .all(u8::is_ascii_whitespace)
    {
        Ok(T::default())
    } else {
        decode_body(req)
    }
}

/// For PATCH bodies (`#[serde(default, deserialize_with = "nullable")]`): tells an absent field
/// (`None`, leave as is) from an explicit `null` (`Some(None)`, remove).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// A form-encoded body (`application/x-www-form-urlencoded`) as name → value (the last of a
/// repeated name wins), bounded to 64 KiB.
pub fn form_body(req: &Request) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let bytes = body_bytes(req, 64 * 1024)?;
    Ok(url::form_urlencoded::parse(bytes).into_owned().collect())
}

/// Client credentials from `Authorization: Basic base64(id:secret)` (RFC 6749 §2.3.1).
pub fn basic_credentials(req: &Request) -> Option<(String, String)> {
    use base64::Engine;
    let header = req
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// A query parameter holding an RFC 3339 time: `None` when absent, a 400 naming it when malformed.
pub fn time_param(
    req: &Request,
    name: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    query_param(req, name)
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ApiError::bad_parameter(name, format!("`{name}` must be an RFC 3339 time"))
                })
        })
        .transpose()
}
