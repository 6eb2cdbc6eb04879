use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    faultline::telemetry::init();
    let state =
        faultline::AppState::from_env(&[faultline::KeySecret::Data, faultline::KeySecret::Token])
            .await?;
    run(faultline_console::app(state)).await
}
