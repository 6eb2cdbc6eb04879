use crate::common::*;
use faultline::domain::notification::Throttle;
use faultline::domain::EventType;
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;

const FROM: &str = "alerts@faultline.example.com";

/// A verified sender identity (SES refuses to send from anything else).
async fn verified_sender(stack: &TestStack, address: &str) {
    stack
        .clients
        .ses
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .expect("identity created");
}

#[tokio::test]
async fn email_goes_through_ses_as_multipart_alternative_and_updates_thread() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let from = format!(
        "alerts-{}@faultline.example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    verified_sender(&stack, &from).await;
    let sender = from.clone();
    let state = stack.function_state_with(move |config| config.email_from = Some(sender));
    let mail = destination(
        &stack,
        &tenant,
        Reach::Email(&["oncall@example.com", "sre@example.com"]),
    )
    .await;
    let opened = incident(&stack, &tenant).await;
    let resolved = changed(&opened, resolve);

    for (incident, event_type) in [
        (&opened, EventType::IncidentCreated),
        (&resolved, EventType::IncidentResolved),
    ] {
        let outcome = notify(
            &state,
            &task(incident, event_type, &mail, Throttle::default()),
        )
        .await;
        assert_eq!(outcome.expect("sent"), NotifyOutcome::Sent);
        next_second(&stack);
    }

    let sent = stack.sent_mail(&from).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    let first = &sent[0];
    assert!(
        first.contains("Subject: [Faultline] Checkout API 5xx above 5%"),
        "{first}"
    );
    assert!(
        first.contains("To: oncall@example.com, sre@example.com"),
        "{first}"
    );
    assert!(first.contains("multipart/alternative"), "{first}");
    assert!(first.contains("Content-Type: text/plain"), "{first}");
    assert!(first.contains("Content-Type: text/html"), "{first}");
    let root_id = first
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .expect("a Message-ID")
        .trim()
        .to_owned();
    let second = &sent[1];
    assert!(
        second.contains(&format!("In-Reply-To: {root_id}")),
        "{second}"
    );
    assert!(
        second.contains(&format!("References: {root_id}")),
        "{second}"
    );
    assert!(second.contains("Resolved"), "{second}");
    assert_eq!(statuses(&stack, &tenant).await, ["sent", "sent"]);
}

#[tokio::test]
async fn an_unverified_sender_is_a_permanent_failure() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let state = stack.function_state_with(|config| config.email_from = Some(FROM.into()));
    let mail = destination(&stack, &tenant, Reach::Email(&["oncall@example.com"])).await;
    let opened = incident(&stack, &tenant).await;

    let outcome = notify(
        &state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &mail,
            Throttle::default(),
        ),
    )
    .await;

    assert_eq!(outcome.expect("recorded"), NotifyOutcome::Failed);
    let ledger = ledger(&stack, &tenant).await;
    assert!(
        ledger[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("MessageRejected"),
        "{ledger:?}"
    );
}
