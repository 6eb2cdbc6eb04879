//! The `api` function: tenants, integrations, incidents, endpoints and the message ledger.
//! Dispatches on the route API Gateway matched (declared in template.yaml).

mod routes;

use faultline::http::{request_id, route_key, ApiError};
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Handles one API Gateway request; every failure becomes a problem+json response.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    let request_id = request_id(&req);
    match route(state, &req).await {
        Ok(response) => response,
        Err(err) => err.to_response(&request_id),
    }
}

async fn route(state: &AppState, req: &Request) -> Result<Response<Body>, ApiError> {
    let route = route_key(req);
    if route == "GET /health" {
        return Ok(routes::health());
    }
    let principal = state.authenticator.authenticate(req.headers()).await?;
    if route == "GET /v1/event-types" {
        return Ok(faultline::http::json_response(
            http::StatusCode::OK,
            &faultline::domain::event_catalog::catalogue(),
        ));
    }
    match route.as_str() {
        "POST /v1/tenants" => routes::tenants::create(state, &principal, req).await,
        "GET /v1/tenants/{id}" => routes::tenants::get(state, &principal, req).await,
        "PATCH /v1/tenants/{id}" => routes::tenants::update(state, &principal, req).await,
        "POST /v1/integrations" => routes::integrations::create(state, &principal, req).await,
        "GET /v1/integrations" => routes::integrations::list(state, &principal, req).await,
        "POST /v1/hooks/deliveries/{id}/replay" => {
            routes::integrations::replay_delivery(state, &principal, req).await
        }
        "GET /v1/incidents" => routes::incidents::list(state, &principal, req).await,
        "GET /v1/incidents/{id}" => routes::incidents::get(state, &principal, req).await,
        "GET /v1/incidents/{id}/timeline" => {
            routes::incidents::timeline(state, &principal, req).await
        }
        "POST /v1/endpoints" => routes::endpoints::create(state, &principal, req).await,
        "GET /v1/endpoints" => routes::endpoints::list(state, &principal, req).await,
        "GET /v1/endpoints/{id}" => routes::endpoints::get(state, &principal, req).await,
        "PATCH /v1/endpoints/{id}" => routes::endpoints::update(state, &principal, req).await,
        "DELETE /v1/endpoints/{id}" => routes::endpoints::delete(state, &principal, req).await,
        "POST /v1/endpoints/{id}/rotate-secret" => {
            routes::endpoints::rotate_secret(state, &principal, req).await
        }
        "GET /v1/endpoints/{id}/secret" => routes::endpoints::secret(state, &principal, req).await,
        "GET /v1/messages" => routes::messages::list(state, &principal, req).await,
        "GET /v1/dead-letters" => routes::messages::dead_letters(state, &principal, req).await,
        "POST /v1/dead-letters/redrive" => routes::messages::redrive(state, &principal, req).await,
        "GET /v1/messages/{id}" => routes::messages::get(state, &principal, req).await,
        "GET /v1/messages/{id}/attempts" => {
            routes::messages::attempts(state, &principal, req).await
        }
        "POST /v1/messages/{id}/retry" => routes::messages::retry(state, &principal, req).await,
        "POST /v1/endpoints/{id}/test" => routes::endpoints::test(state, &principal, req).await,
        "POST /v1/endpoints/{id}/recover" => {
            routes::endpoints::recover(state, &principal, req).await
        }
        "GET /v1/endpoints/{id}/stats" => routes::endpoints::stats(state, &principal, req).await,
        other => Err(ApiError::NotFound(format!(
            "no route `{other}` in this function"
        ))),
    }
}
