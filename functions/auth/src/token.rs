//! `POST /v1/auth/token`: the OAuth 2.0 token endpoint (RFC 6749), form-encoded.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use faultline::http::{
    basic_credentials, record_refusal, ApiError, Json, RawBody, Refusal, RequestMeta,
};
use faultline::services::oauth::{exchange_code, refresh, TokenPair};
use faultline::services::tokens::{
    client_credentials, password, GrantError, IssuedToken, SignIn, MAX_FAILED_SIGN_INS,
};
use faultline::store::AuditChain;
use faultline::views::TokenView;
use faultline::AppState;
use http::{HeaderMap, StatusCode};
use std::collections::HashMap;

/// The largest token request accepted: 64 KiB.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A token request (`application/x-www-form-urlencoded`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a schema: the body is read as a form
struct TokenRequest {
    /// `client_credentials` or `password`.
    grant_type: String,
    /// `client_credentials`: the API key's id (or send `Authorization: Basic`).
    client_id: Option<String>,
    /// `client_credentials`: the whole API key (`sk_…`).
    client_secret: Option<String>,
    /// `password`: the tenant's id (`ten_…`); emails are unique per tenant.
    tenant: Option<String>,
    /// `password`: the user's email.
    username: Option<String>,
    /// `password`: the user's password.
    password: Option<String>,
    /// Space-separated scopes, at most the key's or user's (default: all of them).
    scope: Option<String>,
    /// `authorization_code`: the code from the redirect.
    code: Option<String>,
    /// `authorization_code`: the redirect URI of the authorization request, exactly.
    redirect_uri: Option<String>,
    /// `authorization_code`: the PKCE verifier whose S256 digest was the `code_challenge`.
    code_verifier: Option<String>,
    /// `refresh_token`: the last refresh token (each is used once).
    refresh_token: Option<String>,
}

fn oauth(code: &'static str, description: impl Into<String>) -> ApiError {
    ApiError::OAuth {
        status: if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        },
        code,
        description: description.into(),
    }
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| oauth("invalid_request", format!("`{name}` is required")))
}

/// Issue an access token.
///
/// OAuth 2.0 token endpoint (form-encoded). `client_credentials`: `client_id` = API key id,
/// `client_secret` = the key (or HTTP Basic). `password`: `tenant` = the tenant's id, `username` =
/// email, `password`; 10 failed sign-ins per account, or per address, in a 15-minute window answer
/// `429` with `Retry-After` until the window ends (unknown accounts count alike, so the limit
/// tells nothing about which exist). Answers a JWT (`token_type: Bearer`, 1 h by default, at most
/// 24 h, never outliving its key) accepted as `Authorization: Bearer`. `authorization_code`: a
/// third-party app (`/v1/oauth-apps`) as `client_id`/`client_secret` (or Basic), the `code` from
/// its redirect, the same `redirect_uri` and the PKCE `code_verifier`; answers a `refresh_token`
/// too. `refresh_token`: the app and its last refresh token, which is used up and replaced (a
/// reused one revokes its family). Refusals are problems that also carry RFC 6749's `error` and
/// `error_description`. Public: the client authenticates in the request.
#[utoipa::path(
    post,
    path = "/v1/auth/token",
    tag = "api keys",
    operation_id = "issue_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token", body = TokenView),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `invalid_scope` or `unsupported_grant_type`", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_client`", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for the account or from the address; `Retry-After` says when to try again", body = faultline::http::openapi::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn handle(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    RawBody(body): RawBody<MAX_FORM_BYTES>,
) -> Response {
    match grant(&state, &meta, &headers, &body).await {
        Ok((token, refresh_token)) => {
            let mut response = Json(TokenView {
                access_token: token.access_token,
                token_type: "Bearer",
                expires_in: token.expires_in,
                scope: token.scope,
                refresh_token,
            })
            .into_response();
            let headers = response.headers_mut();
            headers.insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
            headers.insert(
                http::header::PRAGMA,
                http::HeaderValue::from_static("no-cache"),
            );
            response
        }
        Err(err) => {
            if matches!(err, ApiError::OAuth { code, .. } if code != "invalid_request" && code != "unsupported_grant_type")
            {
                audit_refusal(&state, &meta, &err).await;
            }
            err.into_response()
        }
    }
}

async fn grant(
    state: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(IssuedToken, Option<String>), ApiError> {
    // The last of a repeated name wins.
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let scope = form.get("scope").map(String::as_str);
    let client = || -> Result<(String, String), ApiError> {
        Ok(match basic_credentials(headers) {
            Some(pair) => pair,
            None => (
                field(&form, "client_id")?.to_owned(),
                field(&form, "client_secret")?.to_owned(),
            ),
        })
    };
    let pair = |result: Result<TokenPair, GrantError>| {
        result.map(|pair| (pair.access, Some(pair.refresh_token)))
    };
    let result = match field(&form, "grant_type")? {
        "authorization_code" => {
            let (id, secret) = client()?;
            pair(
                exchange_code(
                    state,
                    &id,
                    &secret,
                    field(&form, "code")?,
                    field(&form, "redirect_uri")?,
                    field(&form, "code_verifier")?,
                )
                .await,
            )
        }
        "refresh_token" => {
            let (id, secret) = client()?;
            pair(refresh(state, &id, &secret, field(&form, "refresh_token")?).await)
        }
        "client_credentials" => {
            let (id, secret) = match basic_credentials(headers) {
                Some(pair) => pair,
                None => (
                    field(&form, "client_id")?.to_owned(),
                    field(&form, "client_secret")?.to_owned(),
                ),
            };
            client_credentials(state, &id, &secret, scope, meta.source_ip.parse().ok())
                .await
                .map(|token| (token, None))
        }
        "password" => {
            let attempt = SignIn {
                tenant: field(&form, "tenant")?,
                username: field(&form, "username")?,
                password: field(&form, "password")?,
                source_ip: &meta.source_ip,
            };
            password(state, attempt, scope)
                .await
                .map(|token| (token, None))
        }
        other => {
            return Err(oauth(
                "unsupported_grant_type",
                format!(
                    "grant type `{other}` is not supported; use client_credentials, password, \
                     authorization_code or refresh_token"
                ),
            ))
        }
    };
    result.map_err(|err| match err {
        GrantError::Unavailable(cause) => ApiError::Unavailable(cause),
        GrantError::TooManyAttempts { retry_after } => ApiError::RateLimited {
            limit: "failed_sign_ins_per_15_minutes",
            value: u32::try_from(MAX_FAILED_SIGN_INS).unwrap_or(u32::MAX),
            retry_after,
            detail: err.to_string(),
        },
        other => oauth(other.code(), other.to_string()),
    })
}

/// A refused grant joins the platform's audit chain (the request names no tenant we may trust).
async fn audit_refusal(state: &AppState, meta: &RequestMeta, err: &ApiError) {
    let refusal = Refusal {
        actor: "anonymous".into(),
        resource_type: "token".into(),
        chain: AuditChain::Platform,
    };
    record_refusal(state, "POST /v1/auth/token", meta, err, refusal).await;
}
