//! A tenant with a destination, incident events, and what the stubs and the ledger saw.

use faultline::domain::notification::destination::{mask_token, mask_url};
use faultline::domain::notification::{Destination, Target, Throttle};
use faultline::domain::{
    DestinationId, DomainEvent, EventType, Incident, IncidentStatus, NotificationRuleId, Severity,
    SignalKind, TenantId,
};
use faultline::queue::NotifyTask;
use faultline::views::{event_data, IncidentView};
use faultline::AppState;
use faultline_testkit::TestStack;
use serde_json::Value;

/// How a test destination is reached.
pub enum Reach<'a> {
    SlackWebhook(&'a str),
    SlackBot { token: &'a str, channel: &'a str },
    Teams(&'a str),
    Email(&'a [&'a str]),
}

/// A stack whose clock stands still until a test moves it (Slack gets at most one message a
/// second per channel: a test that sends several moves the clock on between them).
pub async fn stack() -> TestStack {
    TestStack::deploy_with("1,1,1", faultline::clock::Clock::fixed(chrono::Utc::now())).await
}

/// Lets the channel's second pass.
pub fn next_second(stack: &TestStack) {
    stack.state.clock.advance(chrono::Duration::seconds(2));
}

/// A stored destination of `tenant`.
pub async fn destination(stack: &TestStack, tenant: &TenantId, reach: Reach<'_>) -> Destination {
    destination_of(stack, tenant, |cipher, context| match reach {
        Reach::SlackWebhook(url) => Target::SlackWebhook {
            url: cipher.seal(url, context),
            masked: mask_url(url),
        },
        Reach::SlackBot { token, channel } => Target::SlackBot {
            token: cipher.seal(token, context),
            masked: mask_token(token),
            channel: channel.into(),
        },
        Reach::Teams(url) => Target::Teams {
            url: cipher.seal(url, context),
            masked: mask_url(url),
        },
        Reach::Email(to) => Target::Email {
            to: to.iter().map(|s| s.to_string()).collect(),
        },
    })
    .await
}

/// A stored destination of `tenant` reached as `target` says (given the cipher and the sealing
/// context of its secret).
pub async fn destination_of(
    stack: &TestStack,
    tenant: &TenantId,
    target: impl FnOnce(&faultline::secrets::SecretCipher, &str) -> Target,
) -> Destination {
    let id = DestinationId::generate();
    let cipher = stack.harness.cipher().await.expect("data key");
    let context = Destination::secret_context_for(tenant, &id);
    let target = target(&cipher, &context);
    let now = stack.harness.clock.now();
    let destination = Destination {
        id,
        tenant_id: tenant.clone(),
        name: "on-call".into(),
        target,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    stack
        .harness
        .store
        .create_destination(&destination)
        .await
        .expect("destination stored");
    destination
}

/// A stored, open, critical incident of `tenant`.
pub async fn incident(stack: &TestStack, tenant: &TenantId) -> Incident {
    stack
        .stored_incident(
            tenant,
            "Checkout API 5xx above 5%",
            Severity::Critical,
            SignalKind::Alert,
        )
        .await
}

/// `incident` changed by `change` a second later than before (as the next signal or a person
/// would change it).
pub fn changed(incident: &Incident, change: impl FnOnce(&mut Incident)) -> Incident {
    let mut next = incident.clone();
    change(&mut next);
    next.updated_at = incident.updated_at + chrono::Duration::seconds(1);
    next
}

/// Acknowledged.
pub fn acknowledge(i: &mut Incident) {
    i.status = IncidentStatus::Acknowledged;
    i.acknowledged_at = Some(i.updated_at);
}

/// Resolved.
pub fn resolve(i: &mut Incident) {
    i.status = IncidentStatus::Resolved;
    i.resolved_at = Some(i.updated_at);
}

/// The task `fanout` would enqueue for `incident` after an event of `event_type`.
pub fn task(
    incident: &Incident,
    event_type: EventType,
    destination: &Destination,
    throttle: Throttle,
) -> NotifyTask {
    let data = event_data(&IncidentView::from(incident));
    let event = DomainEvent::new(
        incident.tenant_id.clone(),
        event_type,
        data,
        incident.updated_at,
    );
    NotifyTask {
        tenant_id: incident.tenant_id.clone(),
        event,
        destination_id: destination.id.clone(),
        rule_id: Some(NotificationRuleId::generate()),
        throttle,
        attempt: 1,
        flood_summary_of: None,
        released_from_window: false,
        by_hand: false,
    }
}

/// The function's state with the Slack API at `slack_api`.
pub fn with_slack_api(stack: &TestStack, slack_api: &str) -> AppState {
    let slack_api = slack_api.to_owned();
    stack.function_state_with(move |config| config.slack_api_url = slack_api)
}

/// The ledger's records for `tenant`, newest first, as the API shows them.
pub async fn ledger(stack: &TestStack, tenant: &TenantId) -> Vec<Value> {
    let page = stack
        .harness
        .store
        .list_notifications(tenant, &Default::default(), &Default::default())
        .await
        .expect("ledger read");
    page.items
        .iter()
        .map(|r| serde_json::to_value(faultline::views::NotificationView::from(r)).expect("view"))
        .collect()
}

/// The statuses in the ledger, oldest first.
pub async fn statuses(stack: &TestStack, tenant: &TenantId) -> Vec<String> {
    let mut all: Vec<String> = ledger(stack, tenant)
        .await
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    all.reverse();
    all
}

/// The JSON bodies of the requests a stub received on `path` (those with a body).
pub async fn bodies(server: &wiremock::MockServer, path: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path && !r.body.is_empty())
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

/// How many messages wait on a queue, visible or delayed.
pub async fn waiting(stack: &TestStack, logical_id: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let output = stack
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.deployment.physical_ids[logical_id])
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .expect("queue attributes");
    let attributes = output.attributes.unwrap_or_default();
    let number = |name| {
        attributes
            .get(&name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (
        number(QueueAttributeName::ApproximateNumberOfMessages),
        number(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    )
}

/// What `destination` was last told about `incident`.
pub async fn log_entry(
    stack: &TestStack,
    incident: &Incident,
    destination: &Destination,
) -> Option<faultline::domain::notification::LogEntry> {
    stack
        .harness
        .store
        .get_log_entry(&incident.tenant_id, &incident.id, &destination.id)
        .await
        .expect("log read")
}

/// The requests a stub received with `method` on `path`.
pub async fn requests(
    server: &wiremock::MockServer,
    method: &str,
    path: &str,
) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .collect()
}

/// What `first` came to, and then (a second later) its second attempt: a task put back after a
/// failure comes round again as attempt 2.
pub async fn first_then_retry(
    state: &AppState,
    stack: &TestStack,
    first: NotifyTask,
) -> (
    faultline::services::notify::NotifyOutcome,
    faultline::services::notify::NotifyOutcome,
) {
    use faultline::services::notify::notify;
    let before = notify(state, &first).await.expect("handled");
    next_second(stack);
    let retry = NotifyTask {
        attempt: 2,
        ..first
    };
    (before, notify(state, &retry).await.expect("handled"))
}
