//! Reading requests: API Gateway's request id, path ids and bounded bodies for the inbound
//! webhook functions, and the JSON and credential decoding the extractors share.

use super::ApiError;
use http::HeaderMap;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest body any route accepts: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// API Gateway's request id (also in its access logs), or a fresh one when absent.
pub fn request_id(req: &Request) -> String {
    super::RequestMeta::of(req.extensions()).request_id
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

/// A JSON body decoded into a typed request: 400 when not JSON, 422 when not an object or when a
/// field is unknown, missing or mistyped (naming the field).
pub fn decode_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".into()));
    }
    let map = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(ApiError::validation("", "the body must be a JSON object")),
        Err(err) => return Err(ApiError::MalformedJson(err.to_string())),
    };
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

pub(super) fn between_backticks(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let end = start + text[start..].find('`')?;
    Some(text[start..end].to_owned())
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

/// Client credentials from `Authorization: Basic base64(id:secret)` (RFC 6749 §2.3.1).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let header = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
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
