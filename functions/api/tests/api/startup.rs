//! The real binary as Lambda starts it: it polls for work before any key is read, and a key
//! secret too short to be a key stops it, naming the secret and never its value.

use faultline_testkit::runtime_api::{first_poll, lambda_environment};
use faultline_testkit::TestStack;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::net::TcpListener;

#[tokio::test]
async fn the_binary_polls_for_work_at_once_and_exits_when_a_key_secret_is_too_short() {
    let stack = TestStack::deploy().await;
    let secret = stack.state.config.data_key_secret.clone();
    stack
        .clients
        .secrets
        .put_secret_value()
        .secret_id(&secret)
        .secret_string("only-twenty-bytes-xx")
        .send()
        .await
        .expect("shorten the data key");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("stub");
    let mut environment = lambda_environment(&stack.deployment);
    environment.insert(
        "AWS_LAMBDA_RUNTIME_API".into(),
        listener.local_addr().expect("address").to_string(),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_faultline-api"))
        .env_clear()
        .envs(&environment)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the api binary");

    let poll = first_poll(&listener, Duration::from_secs(30)).await;
    assert!(poll.is_some(), "the runtime polls for its first request");
    let exited = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("joined")
        .expect("output");
    assert_eq!(exited.status.code(), Some(1), "{exited:?}");
    let logs = String::from_utf8_lossy(&[exited.stdout, exited.stderr].concat()).into_owned();
    assert!(logs.contains("FAULTLINE_DATA_KEY_SECRET"), "{logs}");
    assert!(logs.contains(&secret), "names the secret: {logs}");
    assert!(logs.contains("20 bytes"), "{logs}");
    assert!(!logs.contains("only-twenty"), "never the value: {logs}");
}
