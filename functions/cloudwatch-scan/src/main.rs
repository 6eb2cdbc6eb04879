use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    faultline::telemetry::init();
    let state = faultline::AppState::from_env(&[]).await?;
    let state = &state;
    run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = faultline::services::jobs::run_deadline(event.context.deadline);
            faultline_cloudwatch_scan::handle(state, deadline).await
        },
    ))
    .await
}
