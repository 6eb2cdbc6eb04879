//! A function's HTTP application: its routes (each declared once, by its handler's
//! `#[utoipa::path]` and one `routes!` line), the layers every route wears, and the two ways it is
//! served — `lambda_http::run` in Lambda, [`call`] in the local stack and tests.
//!
//! A route keeps its documentation and its handlers apart, each built only when asked for: a
//! function serving requests builds the handlers alone, never the OpenAPI document (whose
//! operations and schemas took most of the API's cold start); the document is built by the
//! generator and the tests that read it.

use super::layers::{authenticate_and_audit, render_problems};
use super::ApiError;
use crate::AppState;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::MethodRouter;
use tower::ServiceExt;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// The handlers of one path (a `routes!` line): documented, or alone to serve.
#[derive(Clone, Copy)]
pub struct Route {
    /// The handlers with their OpenAPI operations and schemas.
    pub documented: fn() -> UtoipaMethodRouter<AppState>,
    /// The handlers alone: their paths and one method router for all of them.
    pub served: fn() -> (Vec<String>, MethodRouter<AppState>),
}

/// Declares the handlers of one path by their `#[utoipa::path]`, as `utoipa_axum::routes!`
/// does, into a [`Route`] that builds the documentation only when asked for.
#[macro_export]
macro_rules! routes {
    // Handlers are taken as plain identifiers (a `path` fragment passed on to another macro
    // could no longer be split into its segments).
    ($($head:ident $(:: $tail:ident)*),+ $(,)?) => {
        $crate::http::Route {
            documented: || $crate::http::__utoipa_axum::routes!($($head $(:: $tail)*),+),
            served: || {
                #[allow(unused_imports)]
                use $crate::http::__utoipa_axum::PathItemExt as _;
                let mut router = $crate::http::__axum::routing::MethodRouter::new();
                let mut paths: Vec<String> = Vec::new();
                $(
                    let path: String =
                        $crate::http::__utoipa_axum::routes!(@path [path()] of $head $(:: $tail)*);
                    let methods =
                        $crate::http::__utoipa_axum::routes!(@path [methods()] of $head $(:: $tail)*);
                    for method in methods {
                        router = router.on(method.to_method_filter(), $head $(:: $tail)*);
                    }
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                )+
                (paths, router)
            },
        }
    };
}

/// Routes in the order they were declared.
#[derive(Clone, Default)]
pub struct RouteList(Vec<Route>);

impl RouteList {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the handlers of one path (`routes!(…)`).
    pub fn routes(mut self, route: Route) -> Self {
        self.0.push(route);
        self
    }

    /// Every handler with its documentation.
    fn documented(self) -> OpenApiRouter<AppState> {
        self.0
            .into_iter()
            .fold(OpenApiRouter::new(), |router, route| {
                router.routes((route.documented)())
            })
    }

    /// Every handler, without documentation (as `OpenApiRouter::routes` routes them).
    fn served(self) -> axum::Router<AppState> {
        self.0
            .into_iter()
            .fold(axum::Router::new(), |router, route| {
                let (paths, handlers) = (route.served)();
                paths.iter().fold(router, |router, path| {
                    let path = if path.is_empty() { "/" } else { path };
                    router.route(path, handlers.clone())
                })
            })
    }
}

/// A function's routes: the public ones (the client authenticates in the request itself, or the
/// route reveals nothing) and the ones behind authentication and the audit log.
#[derive(Default)]
pub struct Routes {
    /// Routes served without a credential.
    pub public: RouteList,
    /// Routes behind authentication and the audit log.
    pub authenticated: RouteList,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").finish_non_exhaustive()
    }
}

impl Routes {
    /// The function's part of the OpenAPI document, read from the routes themselves.
    pub fn openapi(self) -> utoipa::openapi::OpenApi {
        self.public
            .documented()
            .merge(self.authenticated.documented())
            .into_openapi()
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
        let public = self.public.served();
        // (axum refuses a route layer on no routes: a function may have only public ones)
        let authenticated = match self.authenticated.0.is_empty() {
            true => axum::Router::new(),
            false => self
                .authenticated
                .served()
                .route_layer(from_fn_with_state(state.clone(), authenticate_and_audit)),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::Config;
    use axum::body::Body;
    use http::{Request, StatusCode};

    #[utoipa::path(get, path = "/things/{id}", params(("id" = String, Path)), responses((status = 200)))]
    async fn get_thing(axum::extract::Path(id): axum::extract::Path<String>) -> String {
        format!("got {id}")
    }

    #[utoipa::path(delete, path = "/things/{id}", params(("id" = String, Path)), responses((status = 200)))]
    async fn delete_thing() -> &'static str {
        "deleted"
    }

    #[utoipa::path(post, path = "/things", responses((status = 200)))]
    async fn create_thing() -> &'static str {
        "created"
    }

    #[utoipa::path(get, path = "/secrets", responses((status = 200)))]
    async fn list_secrets() -> &'static str {
        "secrets"
    }

    fn routes() -> Routes {
        Routes {
            public: RouteList::new()
                .routes(crate::routes!(get_thing, delete_thing))
                .routes(crate::routes!(create_thing)),
            authenticated: RouteList::new().routes(crate::routes!(list_secrets)),
        }
    }

    async fn state() -> AppState {
        let vars = crate::config::required_vars();
        let config = Config::from_map(&vars).expect("a valid configuration");
        // Never called: the routes below answer without AWS.
        let clients = crate::aws::AwsClients::for_emulator("http://127.0.0.1:9").await;
        AppState::new(config, &clients, Clock::system())
    }

    async fn answer(app: &axum::Router, method: &str, uri: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .expect("a request");
        let response = app.clone().oneshot(request).await.expect("answers");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[test]
    fn the_document_lists_every_route_once_as_its_handler_declares_it() {
        assert_eq!(
            routes().route_keys(),
            [
                "DELETE /things/{id}",
                "GET /secrets",
                "GET /things/{id}",
                "POST /things"
            ]
        );
    }

    #[tokio::test]
    async fn the_served_application_routes_every_method_of_a_path_to_its_handler() {
        let app = routes().into_app(state().await);
        assert_eq!(
            answer(&app, "GET", "/things/7").await,
            (StatusCode::OK, "got 7".into())
        );
        assert_eq!(
            answer(&app, "DELETE", "/things/7").await,
            (StatusCode::OK, "deleted".into())
        );
        assert_eq!(
            answer(&app, "POST", "/things").await,
            (StatusCode::OK, "created".into())
        );
        let (status, body) = answer(&app, "PUT", "/things/7").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("no route `PUT /things/7`"), "{body}");
    }

    #[tokio::test]
    async fn serving_never_builds_the_document() {
        let undocumented = Route {
            documented: || panic!("the OpenAPI document was built to serve requests"),
            served: crate::routes!(create_thing).served,
        };
        let routes = Routes {
            public: RouteList::new().routes(undocumented),
            authenticated: RouteList::new(),
        };
        let app = routes.into_app(state().await);
        assert_eq!(
            answer(&app, "POST", "/things").await,
            (StatusCode::OK, "created".into())
        );
    }
}
