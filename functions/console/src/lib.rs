//! The `console` function: the hub's web UI at `/console`, rendered on the server with
//! compile-time checked templates (askama) and a vendored htmx for partial updates. Pages read
//! through the API's own handlers and change things through the API itself, so scopes,
//! validation and the audit log are the API's, to the letter.

mod api;
mod assets;
mod compress;
mod error;
mod pages;
mod session;

use axum::extract::Request;
use axum::middleware::{from_fn, Next};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use error::ConsoleError;
use faultline::AppState;
use lambda_http::{Body, Request as LambdaRequest, Response as LambdaResponse};
use pages::{
    admin, endpoints, exports, incidents, integrations, notifications, oauth, projects, sign_in,
};

pub use session::{csrf_token, SESSION_COOKIE, SIGN_IN_COOKIE};

/// The console's pages.
pub fn app(state: AppState) -> axum::Router {
    let routers = std::sync::Arc::new(api::ApiRouters::new(&state));
    axum::Router::new()
        .route(
            "/console",
            get(|| async { Redirect::to("/console/incidents") }),
        )
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/assets/{name}", get(assets::serve))
        .route("/console/incidents", get(incidents::list))
        .route(
            "/console/incidents/{id}",
            get(incidents::detail).post(incidents::change),
        )
        .route(
            "/console/projects",
            get(projects::list).post(projects::create),
        )
        .route("/console/projects/{id}", get(projects::detail))
        .route(
            "/console/projects/{id}/sentry",
            post(projects::create_sentry),
        )
        .route(
            "/console/projects/{id}/sentry/{config}/dsn",
            get(projects::dsn),
        )
        .route(
            "/console/endpoints",
            get(endpoints::list).post(endpoints::create),
        )
        .route("/console/endpoints/{id}", get(endpoints::detail))
        .route("/console/endpoints/{id}/{action}", post(endpoints::act))
        .route(
            "/console/endpoints/{id}/messages/{message}",
            get(endpoints::attempts),
        )
        .route(
            "/console/endpoints/{id}/messages/{message}/retry",
            post(endpoints::retry),
        )
        .route("/console/dead-letters/redrive", post(endpoints::redrive))
        .route("/console/exports", get(exports::list).post(exports::create))
        .route("/console/exports/{id}/download", get(exports::download))
        .route("/console/reports", get(exports::report))
        .route(
            "/console/oauth/authorize",
            get(oauth::consent).post(oauth::decide),
        )
        .route(
            "/console/integrations",
            get(integrations::list).post(integrations::create),
        )
        .route("/console/integrations/{id}", get(integrations::detail))
        .route(
            "/console/integrations/{id}/deliveries/{delivery}/replay",
            post(integrations::replay),
        )
        .route(
            "/console/access",
            get(admin::access).post(admin::change_access),
        )
        .route("/console/notifications", get(notifications::list))
        .route(
            "/console/maintenance-windows",
            post(notifications::create_window),
        )
        .route(
            "/console/maintenance-windows/{id}/preview",
            get(notifications::preview),
        )
        .route(
            "/console/destinations/{id}/test",
            post(notifications::test_destination),
        )
        .route("/console/audit", get(admin::audit_log))
        .route("/console/settings", get(admin::settings))
        .fallback(|| async { ConsoleError::NotFound })
        .layer(from_fn(render_errors))
        .layer(from_fn(compress::gzip))
        .layer(from_fn(security_headers))
        .layer(axum::Extension(routers))
        .with_state(state)
}

/// Serves one API Gateway request (the local stack and tests call the function this way).
pub async fn handle(state: &AppState, req: LambdaRequest) -> LambdaResponse<Body> {
    faultline::http::call(app(state.clone()), req).await
}

/// Every error becomes the console's error page here, where the request is known: the page
/// leads back to the console page the request came from (the `Referer`, path only, and only
/// within the console).
async fn render_errors(req: Request, next: Next) -> Response {
    let back = req
        .headers()
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| url::Url::parse(referer).ok())
        .filter(|url| {
            url.path().starts_with("/console/") && !url.path().starts_with("/console/sign-")
        })
        .map(|url| match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        });
    error::render(next.run(req).await, back)
}

/// What every answer carries: no framing, no sniffing, scripts and styles only from the console
/// itself, and pages never cached (they show a tenant's data).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let set = |headers: &mut http::HeaderMap, name: &'static str, value: &'static str| {
        headers.insert(name, http::HeaderValue::from_static(value));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    if !headers.contains_key(http::header::CACHE_CONTROL) {
        set(headers, "cache-control", "no-store");
    }
    response
}
