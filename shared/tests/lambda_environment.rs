//! The clients a function loads in Lambda sign with the region and the role's credentials Lambda
//! puts in its environment (the loader is given those providers by name, so the SDK's default
//! chains, which would find the same values first, are not built). Its own test binary: it sets
//! the process environment, which the other tests must not see.

use faultline::aws::AwsClients;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The head of the first request `listener` receives (answered 400, so the SDK does not retry).
async fn first_request_head(listener: tokio::net::TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.expect("a request");
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = socket.read(&mut buffer).await.expect("read");
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let body = r#"{"__type":"com.amazon.coral.validate#ValidationException","message":"no"}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(answer.as_bytes()).await;
    String::from_utf8_lossy(&head).to_lowercase()
}

#[tokio::test]
async fn clients_sign_with_lambdas_region_and_credentials_from_the_environment() {
    for (name, value) in [
        ("AWS_REGION", "eu-west-3"),
        ("AWS_ACCESS_KEY_ID", "ASIALAMBDAROLE"),
        ("AWS_SECRET_ACCESS_KEY", "role-secret"),
        ("AWS_SESSION_TOKEN", "role-session"),
    ] {
        std::env::set_var(name, value);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let received = tokio::spawn(first_request_head(listener));

    let clients = AwsClients::load(Some(&endpoint)).await;
    let _ = clients.dynamodb.list_tables().send().await;
    let head = received.await.expect("received");

    assert!(
        head.contains("credential=asialambdarole/") && head.contains("/eu-west-3/dynamodb/"),
        "signed with the environment's key and region: {head}"
    );
    assert!(
        head.contains("x-amz-security-token: role-session"),
        "with the role's session token: {head}"
    );
    assert!(!head.contains("role-secret"), "the secret never travels");
}
