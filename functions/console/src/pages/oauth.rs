//! The consent page of the OAuth 2.0 authorization-code flow: a signed-in user sees which app asks
//! for what, and allows (a code goes to the app's redirect URI, through
//! `POST /v1/oauth-apps/{id}/authorizations`) or denies (`error=access_denied`).

use super::{html, parse_query, Chrome, PageResult, SignedForm};
use crate::api;
use crate::error::ConsoleError;
use crate::session::Session;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use faultline::domain::{Principal, Scope, Subject};
use faultline::services::oauth::{check_request, AuthorizationRequest, AuthorizeError};
use faultline::AppState;
use serde::Deserialize;
use serde_json::json;

/// One scope on the consent page.
#[derive(Debug)]
struct AskedScope {
    name: &'static str,
    /// Whether the user holds it (a scope the user lacks is not granted).
    held: bool,
}

/// The consent page.
#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    chrome: Chrome,
    app_name: String,
    request: AuthorizationRequest,
    scopes: Vec<AskedScope>,
    redirect_host: String,
}

/// The app's request cannot be trusted with a redirect: the user is told instead.
fn untrusted(err: &AuthorizeError) -> ConsoleError {
    ConsoleError::Refused {
        status: http::StatusCode::BAD_REQUEST,
        title: "This app's request is not valid".into(),
        detail: format!(
            "{err}. Nothing was granted; tell the app's developer (the request must name a \
             registered app and one of its redirect URIs exactly)."
        ),
    }
}

/// Back to the app with an RFC 6749 error (and its `state`).
fn back_with_error(request: &AuthorizationRequest, code: &str, description: &str) -> Response {
    let mut target = match url::Url::parse(&request.redirect_uri) {
        Ok(url) => url,
        Err(_) => return ConsoleError::NotFound.into_response(),
    };
    {
        let mut query = target.query_pairs_mut();
        query.append_pair("error", code);
        query.append_pair("error_description", description);
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    Redirect::to(target.as_str()).into_response()
}

fn is_user(principal: &Principal) -> bool {
    matches!(principal.subject(), Some(Subject::User(_)))
}

/// Checks the request; a response when it cannot go on (an error page, or the app's redirect URI
/// with the error).
async fn checked(
    state: &AppState,
    request: &AuthorizationRequest,
) -> Result<faultline::services::oauth::CheckedRequest, Response> {
    match check_request(state, request).await {
        Ok(checked) => Ok(checked),
        Err(err) => match err.code() {
            Some(code) => Err(back_with_error(request, code, &err.to_string())),
            None => Err(match err {
                AuthorizeError::Store(store) => ConsoleError::Api(store.into()).into_response(),
                other => untrusted(&other).into_response(),
            }),
        },
    }
}

/// `GET /console/oauth/authorize`: the consent page (sign in first, and come back).
pub async fn consent(
    State(state): State<AppState>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let request: AuthorizationRequest = parse_query(&raw.unwrap_or_default())?;
    let checked = match checked(&state, &request).await {
        Ok(checked) => checked,
        Err(response) => return Ok(response),
    };
    if !is_user(&session.principal) {
        return Err(ConsoleError::Refused {
            status: http::StatusCode::FORBIDDEN,
            title: "Sign in as a user".into(),
            detail: "Apps are authorized by users; a session opened with an API key cannot \
                     grant them anything. Sign out and sign in with your email and password."
                .into(),
        });
    }
    let scopes = checked
        .requested
        .iter()
        .map(|scope: &Scope| AskedScope {
            name: scope.as_str(),
            held: session.can(*scope),
        })
        .collect();
    Ok(html(&ConsentPage {
        chrome: Chrome::of(&session, ""),
        app_name: checked.app.name.clone(),
        redirect_host: url::Url::parse(&request.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        request,
        scopes,
    }))
}

/// The consent form: the request again, and the decision.
#[derive(Debug, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    request: AuthorizationRequest,
    decision: String,
}

/// `POST /console/oauth/authorize`: allow (a code, through the API) or deny.
pub async fn decide(
    State(state): State<AppState>,
    SignedForm { session, form }: SignedForm<Decision>,
) -> PageResult {
    let request = form.request;
    let checked = match checked(&state, &request).await {
        Ok(checked) => checked,
        Err(response) => return Ok(response),
    };
    if form.decision != "allow" {
        return Ok(back_with_error(
            &request,
            "access_denied",
            "the user denied the request",
        ));
    }
    let path = format!("/v1/oauth-apps/{}/authorizations", checked.app.id);
    let body = json!({
        "redirect_uri": request.redirect_uri,
        "scope": request.scope,
        "state": request.state,
        "code_challenge": request.code_challenge,
        "code_challenge_method": request.code_challenge_method,
    });
    let granted = api::call(&session, http::Method::POST, &path, Some(&body)).await?;
    let target = granted["redirect_to"].as_str().unwrap_or_default();
    Ok(Redirect::to(target).into_response())
}
