//! Logging: JSON lines in Lambda (CloudWatch parses them), level from `RUST_LOG`.

/// Installs the global subscriber once; later calls are no-ops (the local stack hosts every
/// function in one process).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_FUNCTION_NAME").is_ok();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .without_time()
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
