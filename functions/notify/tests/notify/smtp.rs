//! SMTP destinations against a small SMTP server in the test: what it receives, and how its
//! answers are classified.

use crate::common::*;
use faultline::domain::notification::destination::SmtpSecurity;
use faultline::domain::notification::{Destination, Target, Throttle};
use faultline::domain::{DestinationId, EventType, TenantId};
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// An SMTP server on a free loopback port that answers `rcpt` to `RCPT TO` and keeps every
/// message it accepts.
async fn smtp_server(rcpt: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("address").port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test.local\r\n250 8BITMIME\r\n",
                        "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "RCPT" => rcpt.as_bytes(),
                        "DATA" => {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut message = String::new();
                            while let Ok(Some(data)) = lines.next_line().await {
                                if data == "." {
                                    break;
                                }
                                message.push_str(&data);
                                message.push('\n');
                            }
                            if let Ok(mut kept) = kept.lock() {
                                kept.push(message);
                            }
                            b"250 2.0.0 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"502 not implemented\r\n",
                    };
                    let _ = write.write_all(answer).await;
                }
            });
        }
    });
    (port, received)
}

async fn smtp_destination(stack: &TestStack, tenant: &TenantId, port: u16) -> Destination {
    let now = stack.harness.clock.now();
    let destination = Destination {
        id: DestinationId::generate(),
        tenant_id: tenant.clone(),
        name: "ops mail".into(),
        target: Target::Smtp {
            host: "localhost".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "faultline@ops.example.com".into(),
            to: vec!["oncall@ops.example.com".into()],
        },
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    stack
        .harness
        .store
        .create_destination(&destination)
        .await
        .expect("stored");
    destination
}

#[tokio::test]
async fn an_smtp_server_receives_the_same_mime_as_ses_would() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let (port, received) = smtp_server("250 2.1.5 OK\r\n").await;
    let mail = smtp_destination(&stack, &tenant, port).await;
    let opened = incident(&stack, &tenant).await;

    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &mail,
            Throttle::default(),
        ),
    )
    .await;

    assert_eq!(outcome.expect("sent"), NotifyOutcome::Sent);
    let received = received.lock().expect("kept").clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].contains("Subject: [Faultline] Checkout API 5xx above 5%"),
        "{}",
        received[0]
    );
    assert!(
        received[0].contains("multipart/alternative"),
        "{}",
        received[0]
    );
    assert!(
        received[0].contains("To: oncall@ops.example.com"),
        "{}",
        received[0]
    );
    let ledger = ledger(&stack, &tenant).await;
    assert_eq!(ledger[0]["detail"], "sent through SMTP");
}

#[tokio::test]
async fn a_5xx_answer_is_permanent_and_a_4xx_is_retried() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let (refusing, _) = smtp_server("550 5.1.1 no such mailbox\r\n").await;
    let (busy, _) = smtp_server("451 4.3.0 try again later\r\n").await;
    let opened = incident(&stack, &tenant).await;

    let refused = smtp_destination(&stack, &tenant, refusing).await;
    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &refused,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(outcome.expect("recorded"), NotifyOutcome::Failed);
    let later = smtp_destination(&stack, &tenant, busy).await;
    let outcome = notify(
        &stack.state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &later,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(outcome.expect("recorded"), NotifyOutcome::Later);

    let ledger = ledger(&stack, &tenant).await;
    assert_eq!(
        (
            ledger[0]["status"].as_str(),
            ledger[0]["status_code"].as_u64()
        ),
        (Some("retrying"), Some(451))
    );
    assert_eq!(
        (
            ledger[1]["status"].as_str(),
            ledger[1]["status_code"].as_u64()
        ),
        (Some("failed"), Some(550))
    );
}
