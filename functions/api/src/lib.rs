//! The `api` function: tenants, integrations, incidents, endpoints and the message ledger.
//! Dispatches on the route API Gateway matched (declared in template.yaml).

mod routes;

use faultline::auth::Principal;
use faultline::http::{route_key, serve, ApiError};
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Handles one API Gateway request; every failure becomes a problem+json response, every
/// mutating call and refused credential an audit entry.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    match route_key(&req).as_str() {
        "GET /health" => return routes::health(),
        "GET /v1/openapi.json" => return routes::docs::openapi_json(),
        "GET /v1/docs" => return routes::docs::page(),
        _ => {}
    }
    serve(state, req, |state, principal, route, req| {
        Box::pin(dispatch(state, principal, route, req))
    })
    .await
}

async fn dispatch(
    state: &AppState,
    principal: &Principal,
    route: &str,
    req: &Request,
) -> Result<Response<Body>, ApiError> {
    match route {
        "GET /v1/event-types" => Ok(routes::event_types()),
        "GET /v1/audit" => routes::audit::list(state, principal, req).await,
        "GET /v1/audit/verify" => routes::audit::verify(state, principal, req).await,
        "POST /v1/tenants" => routes::tenants::create(state, principal, req).await,
        "GET /v1/tenants/{id}" => routes::tenants::get(state, principal, req).await,
        "PATCH /v1/tenants/{id}" => routes::tenants::update(state, principal, req).await,
        "POST /v1/users" => routes::users::create(state, principal, req).await,
        "GET /v1/users" => routes::users::list(state, principal, req).await,
        "GET /v1/users/{id}" => routes::users::get(state, principal, req).await,
        "PATCH /v1/users/{id}" => routes::users::update(state, principal, req).await,
        "DELETE /v1/users/{id}" => routes::users::delete(state, principal, req).await,
        "POST /v1/projects" => routes::projects::create(state, principal, req).await,
        "GET /v1/projects" => routes::projects::list(state, principal, req).await,
        "GET /v1/projects/{id}" => routes::projects::get(state, principal, req).await,
        "PATCH /v1/projects/{id}" => routes::projects::update(state, principal, req).await,
        "DELETE /v1/projects/{id}" => routes::projects::delete(state, principal, req).await,
        "GET /v1/projects/{id}/sentry" => routes::sentry::list(state, principal, req).await,
        "POST /v1/projects/{id}/sentry" => routes::sentry::create(state, principal, req).await,
        "PATCH /v1/projects/{id}/sentry/{integration_id}" => {
            routes::sentry::update(state, principal, req).await
        }
        "DELETE /v1/projects/{id}/sentry/{integration_id}" => {
            routes::sentry::delete(state, principal, req).await
        }
        "GET /v1/integrations/sentry/{project_slug}" => {
            routes::sentry::for_application(state, principal, req).await
        }
        "POST /v1/integrations" => routes::integrations::create(state, principal, req).await,
        "GET /v1/integrations" => routes::integrations::list(state, principal, req).await,
        "POST /v1/hooks/deliveries/{id}/replay" => {
            routes::integrations::replay_delivery(state, principal, req).await
        }
        "GET /v1/incidents" => routes::incidents::list(state, principal, req).await,
        "GET /v1/incidents/{id}" => routes::incidents::get(state, principal, req).await,
        "PATCH /v1/incidents/{id}" => routes::incidents::update(state, principal, req).await,
        "GET /v1/issues" => routes::incidents::list_issues(state, principal, req).await,
        "GET /v1/issues/{id}" => routes::incidents::get_issue(state, principal, req).await,
        "GET /v1/events/{id}" => routes::incidents::get_event(state, principal, req).await,
        "GET /v1/incidents/{id}/timeline" => {
            routes::incidents::timeline(state, principal, req).await
        }
        "POST /v1/endpoints" => routes::endpoints::create(state, principal, req).await,
        "GET /v1/endpoints" => routes::endpoints::list(state, principal, req).await,
        "GET /v1/endpoints/{id}" => routes::endpoints::get(state, principal, req).await,
        "PATCH /v1/endpoints/{id}" => routes::endpoints::update(state, principal, req).await,
        "DELETE /v1/endpoints/{id}" => routes::endpoints::delete(state, principal, req).await,
        "POST /v1/endpoints/{id}/rotate-secret" => {
            routes::endpoint_actions::rotate_secret(state, principal, req).await
        }
        "GET /v1/endpoints/{id}/secret" => {
            routes::endpoint_actions::secret(state, principal, req).await
        }
        "GET /v1/messages" => routes::messages::list(state, principal, req).await,
        "GET /v1/dead-letters" => routes::messages::dead_letters(state, principal, req).await,
        "POST /v1/dead-letters/redrive" => routes::messages::redrive(state, principal, req).await,
        "GET /v1/messages/{id}" => routes::messages::get(state, principal, req).await,
        "GET /v1/messages/{id}/attempts" => routes::messages::attempts(state, principal, req).await,
        "POST /v1/messages/{id}/retry" => routes::messages::retry(state, principal, req).await,
        "POST /v1/endpoints/{id}/test" => {
            routes::endpoint_actions::test(state, principal, req).await
        }
        "POST /v1/endpoints/{id}/recover" => {
            routes::endpoint_actions::recover(state, principal, req).await
        }
        "GET /v1/endpoints/{id}/stats" => {
            routes::endpoint_actions::stats(state, principal, req).await
        }
        other => Err(ApiError::NotFound(format!(
            "no route `{other}` in this function"
        ))),
    }
}

/// This function's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use routes::{
        audit, docs, endpoint_actions, endpoints, incidents, integrations, messages, projects,
        sentry, tenants, users,
    };
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        routes::health,
        routes::event_types,
        docs::openapi_json,
        docs::page,
        audit::list,
        audit::verify,
        tenants::create,
        tenants::get,
        tenants::update,
        users::create,
        users::list,
        users::get,
        users::update,
        users::delete,
        projects::create,
        projects::list,
        projects::get,
        projects::update,
        projects::delete,
        sentry::list,
        sentry::create,
        sentry::update,
        sentry::delete,
        sentry::for_application,
        integrations::create,
        integrations::list,
        integrations::replay_delivery,
        incidents::list,
        incidents::get,
        incidents::timeline,
        incidents::update,
        incidents::list_issues,
        incidents::get_issue,
        incidents::get_event,
        endpoints::create,
        endpoints::list,
        endpoints::get,
        endpoints::update,
        endpoints::delete,
        endpoint_actions::rotate_secret,
        endpoint_actions::secret,
        endpoint_actions::test,
        endpoint_actions::recover,
        endpoint_actions::stats,
        messages::list,
        messages::get,
        messages::attempts,
        messages::retry,
        messages::dead_letters,
        messages::redrive,
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
