use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    faultline::telemetry::init();
    let state = faultline::AppState::from_env().await?;
    let state = &state;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(faultline_webhook_github::handle(state, req).await)
    }))
    .await
}
