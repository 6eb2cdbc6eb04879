//! Signing in (a user's email and password, or an API key for a read-only session) and out.

use super::{html, Chrome, PageResult, SignedForm};
use crate::error::ConsoleError;
use crate::session::{
    cookie, csrf_matches, csrf_token, random_token, set_cookie, SESSION_COOKIE, SIGN_IN_COOKIE,
};
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use faultline::http::{record_refusal, ApiError, RawBody, Refusal, RequestMeta};
use faultline::services::tokens::{self, GrantError, IssuedToken, SignIn};
use faultline::store::AuditChain;
use faultline::AppState;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

/// The sign-in page.
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    tenant: String,
    email: String,
    error: Option<String>,
}

/// `next` if it is a console page, else the incidents: never a redirect to another site.
fn local(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/console")
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/console/sign-") =>
        {
            path.to_owned()
        }
        _ => "/console/incidents".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Next {
    next: Option<String>,
}

/// The form with a fresh double-submit token (a new random cookie, its digest in the form).
fn form_page(status: StatusCode, form: SignInPage) -> Response {
    let secret = random_token();
    let page = SignInPage {
        csrf: csrf_token(&secret),
        ..form
    };
    let mut response = html(&page);
    *response.status_mut() = status;
    append_cookie(&mut response, &set_cookie(SIGN_IN_COOKIE, &secret, 3600));
    response
}

fn append_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = http::HeaderValue::from_str(value) {
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, value);
    }
}

/// `GET /console/sign-in`.
pub async fn form(RawQuery(raw): RawQuery) -> PageResult {
    let query: Next = super::parse_query(&raw.unwrap_or_default()).unwrap_or_default();
    Ok(form_page(
        StatusCode::OK,
        SignInPage {
            chrome: Chrome::anonymous(),
            csrf: String::new(),
            next: local(query.next.as_deref()),
            tenant: String::new(),
            email: String::new(),
            error: None,
        },
    ))
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
struct Credentials {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    api_key: String,
}

/// `POST /console/sign-in`: the password grant (or a read-only grant for an API key); the token
/// goes into the session cookie.
pub async fn submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    RawBody(body): RawBody<{ 16 * 1024 }>,
) -> PageResult {
    let form: Credentials = super::parse_query(&String::from_utf8_lossy(&body))?;
    let secret = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if secret.is_empty() || !csrf_matches(secret, &form.csrf) {
        return Err(ConsoleError::Csrf);
    }
    let next = local(form.next.as_deref());
    let source = meta.source_ip.parse().ok();
    let granted = if form.api_key.trim().is_empty() {
        let attempt = SignIn {
            tenant: &form.tenant,
            username: &form.email,
            password: &form.password,
            source_ip: &meta.source_ip,
        };
        tokens::password(&state, attempt, None).await
    } else {
        tokens::read_only(&state, form.api_key.trim(), source).await
    };
    match granted {
        Ok(token) => Ok(signed_in(&token, &next)),
        Err(err) => {
            let (status, message) = refused(&state, &meta, err).await;
            Ok(form_page(
                status,
                SignInPage {
                    chrome: Chrome::anonymous(),
                    csrf: String::new(),
                    next,
                    tenant: form.tenant,
                    email: form.email,
                    error: Some(message),
                },
            ))
        }
    }
}

fn signed_in(token: &IssuedToken, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    append_cookie(
        &mut response,
        &set_cookie(SESSION_COOKIE, &token.access_token, token.expires_in),
    );
    append_cookie(&mut response, &set_cookie(SIGN_IN_COOKIE, "", 0));
    response
}

/// What the form says when a grant is refused; refused credentials join the audit log as the
/// token endpoint's do.
async fn refused(state: &AppState, meta: &RequestMeta, err: GrantError) -> (StatusCode, String) {
    let (status, message) = match &err {
        GrantError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Signing in is not possible right now; try again shortly.".to_owned(),
        ),
        GrantError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, err.to_string()),
        GrantError::InvalidScope(_) => (
            StatusCode::FORBIDDEN,
            "This API key may read nothing, so it cannot open a session.".to_owned(),
        ),
        GrantError::InvalidClient(_) | GrantError::InvalidGrant(_) => (
            StatusCode::UNAUTHORIZED,
            "Wrong tenant, email or password (or API key).".to_owned(),
        ),
    };
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        let refusal = Refusal {
            actor: "anonymous".into(),
            resource_type: "console".into(),
            chain: AuditChain::Platform,
        };
        let problem = ApiError::Unauthorized(err.to_string());
        record_refusal(state, "POST /console/sign-in", meta, &problem, refusal).await;
    }
    (status, message)
}

/// `POST /console/sign-out`: forgets the session cookie.
pub async fn sign_out(SignedForm { .. }: SignedForm<super::Fields>) -> PageResult {
    let mut response = Redirect::to("/console/sign-in").into_response();
    append_cookie(&mut response, &set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}
