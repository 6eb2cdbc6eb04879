#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    faultline::http::run_webhook(&faultline::sources::jira::JiraSource).await
}
