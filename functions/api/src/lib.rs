//! The `api` function: tenants, users, projects, integrations, incidents, endpoints, the message
//! ledger and the audit log, as one axum router. A route is its handler's `#[utoipa::path]` plus
//! one line below; `template.yaml` declares it to API Gateway, and a test holds the two together.

pub mod routes;

use faultline::http::{RouteList, Routes};
use faultline::routes;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Every route of this function.
pub fn routes() -> Routes {
    use routes::{
        audit, deadlocks, destinations, docs, endpoint_actions, endpoints, evidence,
        export_schedules, exports, incident_tickets, incidents, integration_deliveries,
        integrations, log_sources, maintenance_windows, messages, notification_rules,
        notifications, preferences, projects, reports, roles, sentry, sentry_sync, tenants, users,
    };
    Routes {
        public: RouteList::new()
            .routes(routes!(routes::health))
            .routes(routes!(docs::openapi_json))
            .routes(routes!(docs::page)),
        authenticated: RouteList::new()
            .routes(routes!(routes::event_types))
            .routes(routes!(audit::list))
            .routes(routes!(audit::verify))
            .routes(routes!(tenants::create))
            .routes(routes!(tenants::get, tenants::update))
            .routes(routes!(users::create, users::list))
            .routes(routes!(users::get, users::update, users::delete))
            .routes(routes!(users::keys))
            .routes(routes!(roles::list))
            .routes(routes!(roles::get, roles::define, roles::delete))
            .routes(routes!(projects::create, projects::list))
            .routes(routes!(projects::get, projects::update, projects::delete))
            .routes(routes!(sentry::list, sentry::create))
            .routes(routes!(sentry::update, sentry::delete))
            .routes(routes!(sentry::for_application))
            .routes(routes!(sentry_sync::run, sentry_sync::status))
            .routes(routes!(integrations::create, integrations::list))
            .routes(routes!(integrations::stats))
            .routes(routes!(integration_deliveries::list))
            .routes(routes!(integrations::replay_delivery))
            .routes(routes!(log_sources::create, log_sources::list))
            .routes(routes!(
                log_sources::get,
                log_sources::update,
                log_sources::delete
            ))
            .routes(routes!(log_sources::scan))
            .routes(routes!(incidents::list))
            .routes(routes!(incidents::get, incidents::update))
            .routes(routes!(incidents::timeline))
            .routes(routes!(incident_tickets::create))
            .routes(routes!(incidents::list_issues))
            .routes(routes!(incidents::get_issue))
            .routes(routes!(evidence::list))
            .routes(routes!(incidents::get_event))
            .routes(routes!(endpoints::create, endpoints::list))
            .routes(routes!(
                endpoints::get,
                endpoints::update,
                endpoints::delete
            ))
            .routes(routes!(endpoint_actions::rotate_secret))
            .routes(routes!(endpoint_actions::secret))
            .routes(routes!(endpoint_actions::headers))
            .routes(routes!(endpoint_actions::test))
            .routes(routes!(endpoint_actions::recover))
            .routes(routes!(endpoint_actions::stats))
            .routes(routes!(messages::list))
            .routes(routes!(messages::get))
            .routes(routes!(messages::attempts))
            .routes(routes!(messages::retry))
            .routes(routes!(messages::dead_letters))
            .routes(routes!(messages::redrive))
            .routes(routes!(destinations::create, destinations::list))
            .routes(routes!(
                destinations::get,
                destinations::update,
                destinations::delete
            ))
            .routes(routes!(destinations::test))
            .routes(routes!(
                notification_rules::create,
                notification_rules::list
            ))
            .routes(routes!(
                notification_rules::get,
                notification_rules::update,
                notification_rules::delete
            ))
            .routes(routes!(notifications::list))
            .routes(routes!(
                maintenance_windows::create,
                maintenance_windows::list
            ))
            .routes(routes!(
                maintenance_windows::get,
                maintenance_windows::update,
                maintenance_windows::delete
            ))
            .routes(routes!(maintenance_windows::preview))
            .routes(routes!(preferences::get, preferences::put))
            .routes(routes!(exports::create, exports::list))
            .routes(routes!(exports::get))
            .routes(routes!(export_schedules::create, export_schedules::list))
            .routes(routes!(
                export_schedules::get,
                export_schedules::update,
                export_schedules::delete
            ))
            .routes(routes!(reports::summary))
            .routes(routes!(reports::timeseries))
            .routes(routes!(deadlocks::list))
            .routes(routes!(deadlocks::get)),
    }
}

/// The application Lambda serves.
pub fn app(state: AppState) -> axum::Router {
    routes().into_app(state)
}

/// Serves one API Gateway request (the local stack and tests call the function this way).
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    faultline::http::call(app(state.clone()), req).await
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().openapi()
}
