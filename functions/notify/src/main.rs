use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    faultline::telemetry::init();
    let state = faultline::AppState::from_env(&[faultline::KeySecret::Data]).await?;
    let state = &state;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(faultline_notify::handle(state, event.payload).await)
    }))
    .await
}
