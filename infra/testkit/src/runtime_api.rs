//! Running a function's real binary as Lambda does: its environment, and a Runtime API stub that
//! notes when the function first polls for work (the end of what Lambda reports as Init Duration).

use faultline_emulator::Deployment;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// The first request line of a runtime's poll for the next invocation.
const NEXT_INVOCATION: &[u8] = b"GET /2018-06-01/runtime/invocation/next";

/// The variables Lambda sets for a function of `deployment`, on the emulator at its endpoint.
/// Add `AWS_LAMBDA_RUNTIME_API` (the stub's address) before starting the binary.
pub fn lambda_environment(deployment: &Deployment) -> BTreeMap<String, String> {
    let mut environment = deployment.environment.clone();
    for (name, value) in [
        ("AWS_ENDPOINT_URL", deployment.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_LAMBDA_FUNCTION_NAME", "faultline-under-test"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/faultline-under-test",
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "faultline-under-test"),
        ("FAULTLINE_LOCAL_MODE", "1"),
    ] {
        environment.insert(name.into(), value.into());
    }
    environment
}

/// Waits (at most `limit`) for a runtime to poll the stub on `listener` for its next invocation;
/// the poll is left unanswered (its connection is returned: the runtime waits on it while it is
/// held). `None` when none came in time.
pub async fn first_poll(listener: &TcpListener, limit: Duration) -> Option<TcpStream> {
    let polled = async {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let mut request = vec![0u8; 4096];
            let read = socket.read(&mut request).await.unwrap_or_default();
            if request[..read].starts_with(NEXT_INVOCATION) {
                return socket;
            }
        }
    };
    tokio::time::timeout(limit, polled).await.ok()
}
