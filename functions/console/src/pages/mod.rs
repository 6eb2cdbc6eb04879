//! The console's pages. Each reads through the API's own handlers (same scopes, filters and views)
//! and changes things through the API itself (same validation and audit entries), so the console is
//! never a second implementation of anything.

pub mod admin;
pub mod chart;
pub mod endpoints;
pub mod exports;
pub mod incidents;
pub mod integrations;
pub mod notifications;
pub mod oauth;
pub mod projects;
pub mod sign_in;

use crate::error::ConsoleError;
use crate::session::Session;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use faultline::domain::Scope;
use faultline::AppState;
use serde::de::DeserializeOwned;

/// The largest form the console accepts: 64 KiB.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// One entry of the navigation.
#[derive(Debug)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the current section.
    pub current: bool,
}

/// What every page around its content needs: who is signed in, the CSRF token for its forms,
/// and the sections the caller may read.
#[derive(Debug, Default)]
pub struct Chrome {
    /// Who is signed in (empty when no one is).
    pub who: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// The sections the caller may read.
    pub nav: Vec<NavItem>,
    /// Whether the session can change nothing (an API key's read-only session, a viewer).
    pub read_only: bool,
}

/// The console's sections, each with the scope that reads it.
const SECTIONS: &[(&str, &str, Scope)] = &[
    ("/console/incidents", "Incidents", Scope::IncidentsRead),
    ("/console/projects", "Projects", Scope::ProjectsRead),
    ("/console/endpoints", "Endpoints", Scope::EndpointsRead),
    ("/console/exports", "Exports", Scope::IncidentsRead),
    ("/console/reports", "Reports", Scope::IncidentsRead),
    (
        "/console/integrations",
        "Integrations",
        Scope::IntegrationsRead,
    ),
    (
        "/console/notifications",
        "Notifications",
        Scope::NotificationsRead,
    ),
    ("/console/access", "Users & keys", Scope::UsersManage),
    ("/console/audit", "Audit", Scope::AuditRead),
    ("/console/settings", "Settings", Scope::TenantManage),
];

impl Chrome {
    /// The chrome of a page in section `current` (its path).
    pub fn of(session: &Session, current: &str) -> Self {
        let scopes = session.principal.scopes();
        Self {
            who: session
                .principal
                .subject()
                .map_or_else(|| "platform admin".to_owned(), ToString::to_string),
            csrf: session.csrf.clone(),
            nav: SECTIONS
                .iter()
                .filter(|(_, _, scope)| scopes.contains(scope))
                .map(|(href, label, _)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
            read_only: !scopes.iter().any(|s| is_write(*s)),
        }
    }

    /// The chrome of a page seen signed out.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// The link to an embedded asset, with its content hash.
    pub fn asset(&self, name: &str) -> String {
        crate::assets::url(name)
    }

    /// Whether anyone is signed in.
    pub fn signed_in(&self) -> bool {
        !self.who.is_empty()
    }
}

/// Whether a scope allows changes.
pub fn is_write(scope: Scope) -> bool {
    !scope.as_str().ends_with(":read")
}

/// A rendered page as an HTML response (a rendering failure is an error page).
pub fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "rendering a page failed");
            (
                http::StatusCode::INTERNAL_SERVER_ERROR,
                [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "The page could not be rendered; this has been logged.",
            )
                .into_response()
        }
    }
}

/// A page's answer: the page, or what went wrong.
pub type PageResult = Result<Response, ConsoleError>;

/// Parses a query string (or form) into `T`, refusing with a 400 that names the problem.
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ConsoleError> {
    serde_urlencoded::from_str(raw).map_err(|err| {
        ConsoleError::Api(faultline::http::ApiError::bad_parameter(
            "query",
            format!("the query string is not valid: {err}"),
        ))
    })
}

/// A form posted by a signed-in caller from one of this session's pages: the session, and the
/// form's fields as `T`. Refused unless its `_csrf` field (or the `X-CSRF-Token` header, which
/// htmx sends) is the session's token.
#[derive(Debug)]
pub struct SignedForm<T> {
    /// Who posted it.
    pub session: Session,
    /// The fields.
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignedForm<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let header = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                ConsoleError::Api(faultline::http::ApiError::PayloadTooLarge {
                    limit: MAX_FORM_BYTES,
                })
            })?;
        let raw = String::from_utf8_lossy(&bytes);
        let field: CsrfField = parse_query(&raw)?;
        session.check_csrf(field.csrf.as_deref().or(header.as_deref()))?;
        let form = parse_query(&raw)?;
        Ok(Self { session, form })
    }
}

/// `Some(text)` unless it is empty or blank.
pub fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

pub use faultline::views::wire_name as wire;

/// A time as the console shows it: `2026-12-07 11:23 UTC`.
pub fn when(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A form read as its name/value pairs in order (repeated names, such as ticked boxes, kept).
pub type Fields = Vec<(String, String)>;

/// The first page of a list, `limit` items at most.
pub fn first_page(limit: i32) -> faultline::http::Page {
    faultline::http::Page(faultline::store::PageRequest {
        limit: Some(limit),
        cursor: None,
    })
}
