//! The `webhook-generic` function: `POST /v1/hooks/generic/{integration_id}` turns any JSON alert
//! into an incident, through the inbound pipeline every source shares.

use faultline::http::request_id;
use faultline::services::inbound::receive;
use faultline::sources::generic::GenericSource;
use faultline::AppState;
use lambda_http::{Body, Request, Response};

/// Handles one inbound alert; every failure becomes a problem+json response.
pub async fn handle(state: &AppState, req: Request) -> Response<Body> {
    let request_id = request_id(&req);
    receive(state, &req, &request_id, &GenericSource)
        .await
        .unwrap_or_else(|err| err.to_response(&request_id))
}
