//! A function's HTTP application: its routes (each declared once, by its handler's
//! `#[utoipa::path]` and one `routes!` line), the layers every route wears, and the two ways it is
//! served — `lambda_http::run` in Lambda, [`call`] in the local stack and tests.

use super::layers::{authenticate_and_audit, render_problems};
use super::ApiError;
use crate::AppState;
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceExt;
use utoipa_axum::router::OpenApiRouter;

/// A function's routes: the public ones (the client authenticates in the request itself, or the
/// route reveals nothing) and the ones behind authentication and the audit log.
#[derive(Default)]
pub struct Routes {
    /// Routes served without a credential.
    pub public: OpenApiRouter<AppState>,
    /// Routes behind authentication and the audit log.
    pub authenticated: OpenApiRouter<AppState>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").finish_non_exhaustive()
    }
}

impl Routes {
    /// The function's part of the OpenAPI document, read from the routes themselves.
    pub fn openapi(self) -> utoipa::openapi::OpenApi {
        self.public.merge(self.authenticated).into_openapi()
    }

    /// Every route as `METHOD /path`, as API Gateway's route keys spell them.
    pub fn route_keys(self) -> Vec<String> {
        let doc = self.openapi();
        let mut keys = Vec::new();
        for (path, item) in doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    keys.push(format!("{method} {path}"));
                }
            }
        }
        keys.sort();
        keys
    }

    /// The application served in Lambda and by the local stack.
    pub fn into_app(self, state: AppState) -> axum::Router {
        let (public, _) = self.public.split_for_parts();
        let (authenticated, _) = self.authenticated.split_for_parts();
        let authenticated =
            authenticated.route_layer(from_fn_with_state(state.clone(), authenticate_and_audit));
        public
            .merge(authenticated)
            .fallback(no_route)
            .method_not_allowed_fallback(no_route)
            .layer(from_fn(render_problems))
            .with_state(state)
    }
}

async fn no_route(method: http::Method, uri: http::Uri) -> ApiError {
    ApiError::NotFound(format!(
        "no route `{method} {}` in this function",
        uri.path()
    ))
}

/// Serves one API Gateway request through `app` and answers as Lambda would (text or base64 body
/// by content type): how the local stack and the tests call a function.
pub async fn call(
    app: axum::Router,
    req: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    let response = match app.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    lambda_http::IntoResponse::into_response(response).await
}
