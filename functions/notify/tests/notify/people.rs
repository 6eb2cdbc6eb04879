//! `user` destinations, people's preferences and their digests.

use crate::common::*;
use faultline::domain::notification::preferences::{Digest, DigestEvery, QuietHours};
use faultline::domain::notification::{Destination, Preferences, Target, Throttle};
use faultline::domain::{
    DestinationId, EventType, Role, Severity, SignalKind, TenantId, User, UserId,
};
use faultline::services::digest::send_due_digests;
use faultline::services::notify::{notify, NotifyOutcome};
use faultline::store::StoredPreferences;
use faultline_testkit::TestStack;

/// A stored, active user of `tenant` signing in as `email`.
async fn user(stack: &TestStack, tenant: &TenantId, email: &str) -> User {
    let now = stack.harness.clock.now();
    let user = User {
        id: UserId::generate(),
        tenant_id: tenant.clone(),
        email: email.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        role: Role::Developer,
        extra_scopes: vec![],
        active: true,
        created_at: now,
        updated_at: now,
        token_generation: 0,
    };
    stack
        .harness
        .store
        .create_user(&user)
        .await
        .expect("user stored");
    user
}

async fn prefer(stack: &TestStack, user: &User, preferences: Preferences) {
    let now = stack.harness.clock.now();
    let stored = StoredPreferences {
        digest_due: preferences.digest.as_ref().map(|d| d.next_after(now)),
        preferences,
    };
    stack
        .harness
        .store
        .put_preferences(&user.tenant_id, &user.id, &stored)
        .await
        .expect("preferences stored");
}

async fn person(stack: &TestStack, user: &User) -> Destination {
    let now = stack.harness.clock.now();
    let destination = Destination {
        id: DestinationId::generate(),
        tenant_id: user.tenant_id.clone(),
        name: user.email.clone(),
        target: Target::User {
            user_id: user.id.clone(),
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

/// A verified sender and the function's state sending from it.
async fn mail_from(stack: &TestStack) -> (String, faultline::AppState) {
    let from = format!(
        "alerts-{}@faultline.example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    stack
        .clients
        .ses
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("identity");
    let sender = from.clone();
    (
        from,
        stack.function_state_with(move |config| config.email_from = Some(sender)),
    )
}

#[tokio::test]
async fn a_person_is_told_by_email_as_their_preferences_say() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let (from, state) = mail_from(&stack).await;
    let ana = user(&stack, &tenant, "ana@example.com").await;
    prefer(
        &stack,
        &ana,
        Preferences {
            min_severity: Some(Severity::High),
            ..Preferences::default()
        },
    )
    .await;
    let to_ana = person(&stack, &ana).await;
    let critical = incident(&stack, &tenant).await;
    let low = stack
        .stored_incident(&tenant, "Slow search", Severity::Low, SignalKind::Alert)
        .await;

    let told = notify(
        &state,
        &task(
            &critical,
            EventType::IncidentCreated,
            &to_ana,
            Throttle::default(),
        ),
    )
    .await;
    assert_eq!(told.expect("sent"), NotifyOutcome::Sent);
    next_second(&stack);
    let below = notify(
        &state,
        &task(
            &low,
            EventType::IncidentCreated,
            &to_ana,
            Throttle::default(),
        ),
    )
    .await;
    assert!(matches!(below.expect("held"), NotifyOutcome::Held(r) if r.contains("least severity")));

    let mail = stack.sent_mail(&from).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: ana@example.com"), "{}", mail[0]);

    // Deactivated: nothing more.
    let mut gone = ana.clone();
    gone.active = false;
    stack.harness.store.save_user(&gone).await.expect("saved");
    next_second(&stack);
    let resolved = changed(&critical, resolve);
    let after = notify(
        &state,
        &task(
            &resolved,
            EventType::IncidentResolved,
            &to_ana,
            Throttle::default(),
        ),
    )
    .await;
    assert!(matches!(after.expect("held"), NotifyOutcome::Held(r) if r.contains("deactivated")));
}

#[tokio::test]
async fn quiet_hours_hold_a_notification_until_they_end_and_digest_only_holds_it_for_good() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let (_, state) = mail_from(&stack).await;
    let now = stack.harness.clock.now();
    let quiet = QuietHours {
        start: (now - chrono::Duration::hours(1))
            .format("%H:%M")
            .to_string(),
        end: (now + chrono::Duration::hours(1))
            .format("%H:%M")
            .to_string(),
        time_zone: "UTC".into(),
    };
    let night_owl = user(&stack, &tenant, "owl@example.com").await;
    prefer(
        &stack,
        &night_owl,
        Preferences {
            quiet_hours: Some(quiet),
            ..Preferences::default()
        },
    )
    .await;
    let reader = user(&stack, &tenant, "reader@example.com").await;
    let daily = Digest {
        every: DigestEvery::Daily,
        hour: 8,
        weekday: None,
        time_zone: "UTC".into(),
    };
    prefer(
        &stack,
        &reader,
        Preferences {
            digest: Some(daily),
            digest_only: true,
            ..Preferences::default()
        },
    )
    .await;
    let opened = incident(&stack, &tenant).await;

    let held = notify(
        &state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &person(&stack, &night_owl).await,
            Throttle::default(),
        ),
    )
    .await;
    assert!(matches!(held.expect("held"), NotifyOutcome::Held(r) if r.contains("quiet hours")));
    assert_eq!(
        waiting(&stack, "NotifyQueue").await,
        (0, 1),
        "looked at again when they end"
    );
    let digest_only = notify(
        &state,
        &task(
            &opened,
            EventType::IncidentCreated,
            &person(&stack, &reader).await,
            Throttle::default(),
        ),
    )
    .await;
    assert!(
        matches!(digest_only.expect("held"), NotifyOutcome::Held(r) if r.contains("digest only"))
    );
}

#[tokio::test]
async fn a_digest_lists_the_periods_incidents_at_its_hour_and_files_the_next() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let (from, state) = mail_from(&stack).await;
    let reader = user(&stack, &tenant, "digest-reader@example.com").await;
    let now = stack.harness.clock.now();
    let daily = Digest {
        every: DigestEvery::Daily,
        hour: (now + chrono::Duration::hours(1))
            .format("%H")
            .to_string()
            .parse()
            .expect("hour"),
        weekday: None,
        time_zone: "UTC".into(),
    };
    prefer(
        &stack,
        &reader,
        Preferences {
            digest: Some(daily),
            min_severity: Some(Severity::High),
            ..Preferences::default()
        },
    )
    .await;
    incident(&stack, &tenant).await;
    stack
        .stored_incident(&tenant, "Search is slow", Severity::Low, SignalKind::Alert)
        .await;

    let early = send_due_digests(&state, now).await.expect("run");
    assert_eq!(early.sent, 0, "not due yet");
    stack.state.clock.advance(chrono::Duration::hours(1));
    let run = send_due_digests(&state, stack.state.clock.now())
        .await
        .expect("run");
    assert_eq!(run.sent, 1);
    let again = send_due_digests(&state, stack.state.clock.now())
        .await
        .expect("run");
    assert_eq!(again.sent, 0, "sent once; the next is filed for tomorrow");

    let mail = stack.sent_mail(&from).await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: [Faultline] Digest: 1 incident opened, 1 still unresolved"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("Checkout API 5xx above 5%"), "{}", mail[0]);
    assert!(
        !mail[0].contains("Search is slow"),
        "below the reader's least severity"
    );
    let stored = stack
        .harness
        .store
        .get_preferences(&tenant, &reader.id)
        .await
        .expect("read");
    let next = stored.digest_due.expect("the next digest filed");
    assert!(
        next > stack.state.clock.now() + chrono::Duration::hours(23),
        "{next}"
    );
}
