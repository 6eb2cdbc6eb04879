//! Scheduled exports emailed through the emulator's SES, read back from its state — in a binary
//! of its own, so the emulator holds little else (its state dump is where sent mail is read).

#[path = "export/support.rs"]
#[allow(dead_code)]
mod support;

use serde_json::json;
use support::{overdue, schedule, stored, tick, TenantStack};

#[tokio::test]
async fn a_scheduled_export_is_emailed_with_the_file_attached() {
    let t = TenantStack::new().await;
    t.seed(6).await;
    let from = format!(
        "exports-{}@faultline.example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    t.stack
        .clients
        .ses
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("a verified sender");
    let sender = from.clone();
    let state = t
        .stack
        .function_state_with(move |config| config.email_from = Some(sender));
    let weekly = schedule(
        &t,
        json!({"name": "Weekly incidents", "resource": "incidents", "format": "csv",
               "every": "week", "weekday": "monday", "time_zone": "Europe/Berlin",
               "delivery": {"kind": "email", "recipients": ["leads@example.com"]}}),
    )
    .await;
    overdue(&t, &weekly, 1).await;
    assert_eq!(tick(&state).await["started"], 1);
    let task = t.queued().await.remove(0);
    assert!(t.run(&state, &task).await.is_empty());
    let export = stored(&t, &weekly.id).await.last_export_id.expect("made");
    let job = t.job(&export).await;
    assert_eq!(
        job["delivery"], "emailed to 1 recipient(s), attached",
        "{job}"
    );

    let mail = t.stack.sent_mail(&from).await;
    assert_eq!(mail.len(), 1);
    let raw = &mail[0];
    assert!(raw.contains("Subject: Weekly incidents"), "{raw}");
    assert!(raw.contains("To: leads@example.com"), "{raw}");
    assert!(raw.contains("Content-Disposition: attachment"), "{raw}");
    assert!(raw.contains(".csv"), "{raw}");
}
