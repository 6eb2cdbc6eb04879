//! The Slack handler, fed the payloads in tests/fixtures/providers/, against a stack on the
//! emulator, with an injected clock for the 5-minute window.

use chrono::{DateTime, Duration, TimeZone, Utc};
use faultline::clock::Clock;
use faultline::domain::{Integration, Source, TenantId};
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::sources::slack::verify_slack_signature;
use faultline_testkit::{incompressible, json_of, provider_fixture, HttpEvent, TestStack};
use faultline_webhook_slack::handle;
use serde_json::{json, Value};

/// Slack's official signing secret for its published vector.
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn vector_time() -> DateTime<Utc> {
    Utc.timestamp_opt(1531420618, 0).single().expect("time")
}

fn signed(
    integration: &Integration,
    body: &[u8],
    content_type: &str,
    at: DateTime<Utc>,
) -> HttpEvent {
    let timestamp = at.timestamp().to_string();
    let mut base = format!("v0:{timestamp}:").into_bytes();
    base.extend_from_slice(body);
    let signature = format!("v0={}", hex::encode(hmac_sha256(SECRET.as_bytes(), &base)));
    HttpEvent::load("webhook-slack/receive.json")
        .path_param("integration_id", integration.id.as_str())
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", &timestamp)
        .body_bytes(body)
        .header("x-slack-signature", &signature)
}

async fn setup(clock: Clock, config: Value) -> (TestStack, TenantId, Integration) {
    let stack = TestStack::deploy_with("1", clock).await;
    let (tenant, _) = stack.tenant().await;
    let integration = stack
        .integration(&tenant, Source::Slack, Some(SECRET), config)
        .await;
    (stack, tenant, integration)
}

#[tokio::test]
async fn the_official_slash_command_vector_is_answered_in_slacks_format() {
    let clock = Clock::fixed(vector_time() + Duration::seconds(20));
    let (stack, _, integration) = setup(clock.clone(), Value::Null).await;
    let event = HttpEvent::load("webhook-slack/receive.json")
        .path_param("integration_id", integration.id.as_str());

    let (status, reply) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["response_type"], "ephemeral");
    assert!(
        reply["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Usage:"),
        "empty text gets help: {reply}"
    );

    clock.advance(Duration::minutes(6));
    let event = event.header("content-type", "application/x-www-form-urlencoded");
    let (status, _) = json_of(&handle(&stack.state, event.request()).await);
    assert_eq!(
        status, 401,
        "the same request six minutes later is a replay"
    );
}

#[tokio::test]
async fn url_verification_is_answered_with_its_challenge() {
    let (stack, tenant, integration) = setup(Clock::system(), Value::Null).await;
    let body = provider_fixture("slack_url_verification.json");
    let (status, reply) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &body, "application/json", Utc::now()).request(),
        )
        .await,
    );
    assert_eq!(
        (status, reply["challenge"].as_str()),
        (
            200,
            Some("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
        )
    );
    assert!(stack.incidents(&tenant).await.is_empty());
}

#[tokio::test]
async fn matching_messages_in_watched_channels_become_alerts_and_retries_are_deduplicated() {
    let config = json!({"channels": ["C123ABC456"], "patterns": ["exception", "river"]});
    let (stack, tenant, integration) = setup(Clock::system(), config).await;
    let now = Utc::now();
    let mention = provider_fixture("slack_event_callback_app_mention.json");

    let (status, result) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &mention, "application/json", now).request(),
        )
        .await,
    );
    assert_eq!(
        (status, result["change"].as_str()),
        (202, Some("created")),
        "{result}"
    );
    let retry = signed(&integration, &mention, "application/json", now)
        .header("x-slack-retry-num", "1")
        .header("x-slack-retry-reason", "http_timeout");
    let (status, dup) = json_of(&handle(&stack.state, retry.request()).await);
    assert_eq!((status, dup["status"].as_str()), (200, Some("duplicate")));

    let mut other: Value = serde_json::from_slice(&mention).expect("JSON");
    other["event_id"] = json!("Ev999");
    other["event"]["channel"] = json!("C_NOT_WATCHED");
    let body = serde_json::to_vec(&other).expect("JSON");
    let (_, ignored) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &body, "application/json", now).request(),
        )
        .await,
    );
    assert_eq!(ignored["status"], "ignored");
    other["event_id"] = json!("Ev1000");
    other["event"]["channel"] = json!("C123ABC456");
    other["event"]["text"] = json!("lunch, anyone?");
    let body = serde_json::to_vec(&other).expect("JSON");
    let (_, ignored) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &body, "application/json", now).request(),
        )
        .await,
    );
    assert_eq!(ignored["status"], "ignored");

    let all = stack.incidents(&tenant).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["attributes"]["matched_pattern"], "river");
}

#[tokio::test]
async fn slash_commands_list_acknowledge_and_resolve() {
    let (stack, tenant, integration) = setup(Clock::system(), Value::Null).await;
    let generic = stack.generic_integration(&tenant, None).await;
    let alert = HttpEvent::load("webhook-generic/receive.json")
        .path_param("integration_id", generic.id.as_str())
        .without_header("x-signature-256")
        .request();
    let opened = faultline::http::handle_webhook(
        &stack.harness,
        alert,
        &faultline::sources::generic::GenericSource,
    )
    .await;
    let (status, opened) = json_of(&opened);
    assert_eq!(status, 202, "alert accepted: {opened}");
    let incident_id = opened["incident_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let command = |text: &str, trigger: &str| {
        let form = format!(
            "command=%2Ffaultline&text={}&user_name=roadrunner&channel_id=C1&trigger_id={trigger}",
            text.replace(' ', "+")
        );
        signed(
            &integration,
            form.as_bytes(),
            "application/x-www-form-urlencoded",
            Utc::now(),
        )
    };

    let (_, listed) = json_of(&handle(&stack.state, command("list", "t1").request()).await);
    assert!(
        listed["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&incident_id),
        "{listed}"
    );
    let (_, acked) = json_of(
        &handle(
            &stack.state,
            command(&format!("ack {incident_id}"), "t2").request(),
        )
        .await,
    );
    assert!(
        acked["text"]
            .as_str()
            .unwrap_or_default()
            .contains("acknowledged"),
        "{acked}"
    );
    let (_, status) = json_of(&handle(&stack.state, command("status", "t3").request()).await);
    assert_eq!(
        status["text"],
        "1 open incident(s), 1 acknowledged, 0 unacknowledged"
    );
    let (_, resolved) = json_of(
        &handle(
            &stack.state,
            command(&format!("resolve {incident_id}"), "t4").request(),
        )
        .await,
    );
    assert!(
        resolved["text"]
            .as_str()
            .unwrap_or_default()
            .contains("resolved"),
        "{resolved}"
    );
    let (_, unknown) =
        json_of(&handle(&stack.state, command("ack inc_nope", "t5").request()).await);
    assert!(
        unknown["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Usage"),
        "{unknown}"
    );

    let incident = &stack.incidents(&tenant).await[0];
    assert_eq!(
        (incident["status"].as_str(), incident["assignee"].as_str()),
        (Some("resolved"), Some("roadrunner"))
    );
}

#[test]
fn the_official_vector_fails_against_a_real_clock() {
    let body = provider_fixture("slack_slash_command.form.txt");
    let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    assert!(verify_slack_signature(
        SECRET,
        "1531420618",
        &body,
        signature,
        Utc::now().timestamp()
    )
    .is_err());
}

/// A delivery too large to keep inside its record is archived in S3 and accepted all the same.
#[tokio::test]
async fn a_large_delivery_is_archived_in_s3_and_accepted() {
    let config = json!({"channels": ["C123ABC456"], "patterns": ["exception", "river"]});
    let (stack, _, integration) = setup(Clock::system(), config).await;
    let mut payload: Value =
        serde_json::from_slice(&provider_fixture("slack_event_callback_app_mention.json"))
            .expect("json");
    payload["padding"] = json!(incompressible(16 * 1024));
    let body = serde_json::to_vec(&payload).expect("json");
    let (status, accepted) = json_of(
        &handle(
            &stack.state,
            signed(&integration, &body, "application/json", Utc::now()).request(),
        )
        .await,
    );
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(stack.received_requests().await, 1);
    assert_eq!(stack.archived_objects().await, 1, "kept in S3, not inline");
}

#[tokio::test]
async fn the_acknowledge_and_resolve_buttons_change_the_incident_as_the_slack_user() {
    let (stack, tenant, integration) = setup(Clock::system(), Value::Null).await;
    let incident = stack
        .stored_incident(
            &tenant,
            "Checkout API 5xx above 5%",
            faultline::domain::Severity::Critical,
            faultline::domain::SignalKind::Alert,
        )
        .await;
    let click = |action_id: &str, trigger: &str| {
        let fixture =
            String::from_utf8(provider_fixture("slack_block_actions.json")).expect("UTF-8");
        let mut payload: Value =
            serde_json::from_str(&fixture.replace("INCIDENT_ID", incident.id.as_str()))
                .expect("JSON");
        payload["actions"][0]["action_id"] = json!(action_id);
        payload["trigger_id"] = json!(trigger);
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        signed(
            &integration,
            form.as_bytes(),
            "application/x-www-form-urlencoded",
            Utc::now(),
        )
    };

    let (status, _) =
        json_of(&handle(&stack.state, click("faultline.acknowledge", "t1").request()).await);
    assert_eq!(status, 200, "Slack wants a 200 within 3 s");
    let acknowledged = &stack.incidents(&tenant).await[0];
    assert_eq!(
        (
            acknowledged["status"].as_str(),
            acknowledged["assignee"].as_str()
        ),
        (Some("acknowledged"), Some("amy.mcgee")),
        "changed as the Slack user who clicked"
    );
    let timeline = stack
        .state
        .store
        .incident_timeline(&tenant, &incident.id, &Default::default())
        .await
        .expect("timeline");
    assert!(
        format!("{timeline:?}").contains("ack by @amy.mcgee from Slack"),
        "{timeline:?}"
    );
    let events = stack.published_events().await;
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "incident.updated" && e["data"]["status"] == "acknowledged"),
        "the change is an event like any other (notify edits the message from it): {events:?}"
    );

    handle(&stack.state, click("faultline.resolve", "t2").request()).await;
    assert_eq!(stack.incidents(&tenant).await[0]["status"], "resolved");
    // Someone else's button (another app's action) changes nothing.
    let (status, _) =
        json_of(&handle(&stack.state, click("other.app.action", "t3").request()).await);
    assert!(status < 300, "{status}");
    assert_eq!(stack.incidents(&tenant).await[0]["status"], "resolved");
}
