//! What goes wrong on a page, answered as a page in the console's own style (never JSON): a
//! signed-out caller is sent to sign in, a refused write says why, anything else is an error page.

use crate::pages::{html, Chrome};
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use faultline::http::ApiError;
use http::StatusCode;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum ConsoleError {
    /// No session, or its token expired: sign in, then come back to `next`.
    SignIn {
        /// The page to return to.
        next: String,
    },
    /// A form without this session's CSRF token.
    Csrf,
    /// A handler refused (scope, validation, not found) or failed.
    Api(ApiError),
    /// The API refused a change the console asked for on the caller's behalf.
    Refused {
        /// Its status.
        status: StatusCode,
        /// Its problem's title.
        title: String,
        /// Its problem's detail.
        detail: String,
    },
    /// No such page.
    NotFound,
}

impl From<ApiError> for ConsoleError {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(err: askama::Error) -> Self {
        Self::Api(ApiError::internal(format!("rendering a page: {err}")))
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    title: String,
    detail: String,
    /// The console page the request came from (its form), when the browser said.
    back: Option<String>,
}

impl ConsoleError {
    fn parts(&self) -> (StatusCode, String, String) {
        match self {
            Self::SignIn { .. } => (StatusCode::UNAUTHORIZED, "Sign in".into(), String::new()),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired".into(),
                "The form was not sent from this session's page (or the session changed since). \
                 Go back, reload the page and try again."
                    .into(),
            ),
            Self::Api(err) => {
                let status = err.status();
                let detail = if status.is_server_error() {
                    tracing::error!(error = %err, "console page failed");
                    "Something went wrong on our side; it has been logged. Try again shortly."
                        .to_owned()
                } else {
                    err.to_string()
                };
                (status, title_of(status), detail)
            }
            Self::Refused {
                status,
                title,
                detail,
            } => (*status, title.clone(), detail.clone()),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found".into(),
                "There is no such page in the console.".into(),
            ),
        }
    }
}

fn title_of(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "Not found".into(),
        StatusCode::FORBIDDEN => "Not allowed".into(),
        StatusCode::UNAUTHORIZED => "Sign in".into(),
        s if s.is_server_error() => "Something went wrong".into(),
        _ => "That did not work".into(),
    }
}

/// An error page waiting for its request's context: [`render`] draws it with a way back.
#[derive(Clone, Debug)]
pub struct PendingErrorPage {
    status: StatusCode,
    title: String,
    detail: String,
}

impl IntoResponse for ConsoleError {
    /// A redirect to sign in, or the error page's parts in the response's extensions for
    /// [`render`] (which knows the request, so the page can lead back to the form).
    fn into_response(self) -> Response {
        if let Self::SignIn { next } = &self {
            let target = format!(
                "/console/sign-in?{}",
                serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
            );
            return Redirect::to(&target).into_response();
        }
        let (status, title, detail) = self.parts();
        let mut response = status.into_response();
        response.extensions_mut().insert(PendingErrorPage {
            status,
            title,
            detail,
        });
        response
    }
}

/// The page of the error in `response` (an [`ApiError`] from a shared extractor, or a
/// [`ConsoleError`]), with a link back to `back` (the console page the request came from), else
/// the response as it is.
pub fn render(mut response: Response, back: Option<String>) -> Response {
    let pending = match response.extensions_mut().remove::<ApiError>() {
        Some(err) => {
            let (status, title, detail) = ConsoleError::Api(err).parts();
            PendingErrorPage {
                status,
                title,
                detail,
            }
        }
        None => match response.extensions_mut().remove::<PendingErrorPage>() {
            Some(pending) => pending,
            None => return response,
        },
    };
    let page = ErrorPage {
        chrome: Chrome::anonymous(),
        status: pending.status.as_u16(),
        title: pending.title,
        detail: pending.detail,
        back,
    };
    let mut rendered = html(&page);
    *rendered.status_mut() = pending.status;
    rendered
}
