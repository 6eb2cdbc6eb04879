use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    faultline::telemetry::init();
    let state = faultline::AppState::from_env(&[]).await?;
    let state = &state;
    // SQS batches of export tasks, and the 5-minute schedule that starts scheduled exports.
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        faultline_export::handle_any(state, event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
