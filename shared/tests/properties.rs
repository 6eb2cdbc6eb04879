//! Property tests (proptest): every signature verifier and provider parser, the generic alert
//! schema, the problem+json mapper and the URL policy take any input without panicking; a body
//! verified under its signature fails once any byte of it changes. `make test` runs the default
//! number of cases; `make fuzz` runs many more (`PROPTEST_CASES`).

use chrono::{DateTime, TimeZone, Utc};
use faultline::domain::{Integration, IntegrationId, Source, TenantId, UrlPolicy};
use faultline::http::ApiError;
use faultline::signing::hmac_sha256::hmac_sha256;
use faultline::signing::WebhookSecret;
use faultline::sources::{source_for, Headers, SignedRequest};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const SECRET: &str = "a-long-shared-secret-for-properties";
const SOURCES: [Source; 5] = [
    Source::Generic,
    Source::Github,
    Source::Pagerduty,
    Source::Sentry,
    Source::Slack,
];

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_795_000_000, 0).single().expect("time")
}

fn integration(source: Source, config: Value) -> Integration {
    Integration {
        id: IntegrationId::generate(),
        tenant_id: TenantId::generate(),
        source,
        name: "properties".into(),
        project_id: None,
        config: config.as_object().cloned().unwrap_or_default(),
        secret: None,
        unsigned: false,
        created_at: now(),
    }
}

fn hex_hmac(body: &[u8]) -> String {
    hex::encode(hmac_sha256(SECRET.as_bytes(), body))
}

/// The headers each provider signs `body` with, at `now()`.
fn signed_headers(source: Source, body: &[u8]) -> Headers {
    let mut headers = Headers::new();
    let ts = now().timestamp().to_string();
    match source {
        Source::Generic => headers.insert("x-signature-256", &format!("sha256={}", hex_hmac(body))),
        Source::Github => {
            headers.insert("x-hub-signature-256", &format!("sha256={}", hex_hmac(body)));
            headers.insert("x-github-event", "pull_request");
        }
        Source::Jira => {
            headers.insert("x-hub-signature", &format!("sha256={}", hex_hmac(body)));
        }
        Source::Pagerduty => {
            headers.insert("x-pagerduty-signature", &format!("v1={}", hex_hmac(body)));
        }
        Source::Sentry => {
            headers.insert("sentry-hook-signature", &hex_hmac(body));
            headers.insert("sentry-hook-timestamp", &ts);
            headers.insert("sentry-hook-resource", "issue");
        }
        Source::Slack => {
            let mut base = format!("v0:{ts}:").into_bytes();
            base.extend_from_slice(body);
            let signature = hex::encode(hmac_sha256(SECRET.as_bytes(), &base));
            headers.insert("x-slack-signature", &format!("v0={signature}"));
            headers.insert("x-slack-request-timestamp", &ts);
        }
        Source::Cloudwatch => unreachable!("CloudWatch sends no webhooks: not in SOURCES"),
    }
    headers
}

/// Header names the sources read, each given an arbitrary value.
const HEADER_NAMES: [&str; 18] = [
    "x-signature-256",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "idempotency-key",
    "x-hub-signature-256",
    "x-hub-signature",
    "x-atlassian-webhook-identifier",
    "x-github-event",
    "x-github-delivery",
    "x-pagerduty-signature",
    "x-webhook-id",
    "sentry-hook-signature",
    "sentry-hook-timestamp",
    "sentry-hook-resource",
    "request-id",
    "x-slack-signature",
    "x-slack-request-timestamp",
];

fn arbitrary_headers() -> impl Strategy<Value = Vec<(usize, String)>> {
    prop::collection::vec((0..HEADER_NAMES.len(), ".{0,80}"), 0..8)
}

/// JSON values up to a small depth, with the keys providers use likely to appear.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("title".to_owned()),
        Just("severity".to_owned()),
        Just("status".to_owned()),
        Just("fingerprint".to_owned()),
        Just("action".to_owned()),
        Just("event".to_owned()),
        Just("data".to_owned()),
        Just("pull_request".to_owned()),
        Just("type".to_owned()),
        Just("url".to_owned()),
        "[a-z_]{1,12}",
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn any_source() -> impl Strategy<Value = Source> {
    prop::sample::select(SOURCES.to_vec())
}

proptest! {
    #[test]
    fn no_source_panics_on_any_request(
        source in any_source(),
        headers in arbitrary_headers(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            arbitrary_json().prop_map(|v| v.to_string().into_bytes()),
        ],
        secret in prop::option::of(".{0,40}"),
    ) {
        let mut map = Headers::new();
        for (i, value) in &headers {
            map.insert(HEADER_NAMES[*i], value);
        }
        let integration = integration(source, json!({"channels": ["C1"], "patterns": ["error"]}));
        let request = SignedRequest {
            headers: &map,
            body: &body,
            now: now(),
            integration: &integration,
        };
        let provider = source_for(source).expect("a webhook source");
        let _ = provider.verify(&request, secret.as_deref());
        let _ = provider.delivery_id(&request);
        let _ = provider.signs_timestamp(&request);
        let _ = provider.interpret(&request);
    }

    #[test]
    fn a_signed_body_verifies_and_fails_once_any_byte_changes(
        source in any_source(),
        body in prop::collection::vec(any::<u8>(), 1..512),
        position in any::<prop::sample::Index>(),
        flip in 1..=255u8,
    ) {
        let integration = integration(source, Value::Null);
        let headers = signed_headers(source, &body);
        let provider = source_for(source).expect("a webhook source");
        let request = SignedRequest {
            headers: &headers,
            body: &body,
            now: now(),
            integration: &integration,
        };
        prop_assert!(provider.verify(&request, Some(SECRET)).is_ok());

        let mut changed = body.clone();
        let i = position.index(changed.len());
        changed[i] ^= flip;
        let tampered = SignedRequest { body: &changed, ..request };
        prop_assert!(provider.verify(&tampered, Some(SECRET)).is_err());
        prop_assert!(provider.verify(&request, Some("another-secret-entirely-000000")).is_err());
    }

    #[test]
    fn our_own_signatures_round_trip_and_fail_on_any_change(
        body in prop::collection::vec(any::<u8>(), 0..512),
        msg_id in "msg_[A-Za-z0-9]{1,30}",
        skew in -299i64..=299,
        position in any::<prop::sample::Index>(),
        flip in 1..=255u8,
        header in ".{0,120}",
        timestamp in ".{0,24}",
    ) {
        let secret = WebhookSecret::generate();
        let at = now().timestamp();
        let signature = secret.sign(&msg_id, at, &body);
        let ts = at.to_string();
        prop_assert!(secret.verify(&msg_id, &ts, &signature, &body, at + skew).is_ok());
        if !body.is_empty() {
            let mut changed = body.clone();
            changed[position.index(body.len())] ^= flip;
            prop_assert!(secret.verify(&msg_id, &ts, &signature, &changed, at).is_err());
        }
        let other_id = format!("{msg_id}x");
        prop_assert!(secret.verify(&other_id, &ts, &signature, &body, at).is_err());
        prop_assert!(WebhookSecret::generate().verify(&msg_id, &ts, &signature, &body, at).is_err());
        // Any header and timestamp text: an answer, never a panic.
        let _ = secret.verify(&msg_id, &timestamp, &header, &body, at);
    }

    #[test]
    fn the_generic_alert_schema_takes_any_object(value in arbitrary_json()) {
        if let Value::Object(body) = value {
            if let Ok(signal) = faultline::sources::generic::parse_generic_alert(body, now()) {
                prop_assert!(!signal.title.trim().is_empty());
            }
        }
    }

    #[test]
    fn every_problem_is_problem_json_with_its_status(
        detail in ".{3,200}",
        field in "[a-z_.]{0,30}",
        kind in 0..4usize,
    ) {
        let error = match kind {
            0 => ApiError::validation(field, detail.clone()),
            1 => ApiError::not_found("thing", &detail),
            2 => ApiError::Conflict(detail.clone()),
            _ => ApiError::internal(format!("secret cause {detail}")),
        };
        let response = error.to_response("req-1");
        prop_assert_eq!(response.status(), error.status());
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        prop_assert_eq!(content_type, "application/problem+json");
        let body: Value = serde_json::from_slice(response.body().as_ref()).expect("JSON problem");
        prop_assert_eq!(body["status"].as_u64(), Some(u64::from(error.status().as_u16())));
        prop_assert_eq!(body["request_id"].as_str(), Some("req-1"));
        if kind == 3 {
            prop_assert!(!body.to_string().contains("secret cause"), "the cause stays hidden");
        }
    }

    #[test]
    fn the_url_policy_answers_every_string_and_keeps_only_web_urls(
        raw in prop_oneof![".{0,120}", "(https?|ftp|javascript|data)://[a-z0-9.:@\\[\\]-]{0,40}/.{0,20}"],
        local in any::<bool>(),
    ) {
        let policy = UrlPolicy { local_mode: local, allowed_subnets: Vec::new() };
        if let Ok(url) = policy.check(&raw) {
            let scheme = url.as_str().split(':').next().unwrap_or_default().to_owned();
            prop_assert!(scheme == "https" || (local && scheme == "http"), "{}", url.as_str());
        }
    }

    #[test]
    fn the_url_policy_refuses_private_addresses_outside_local_mode(
        a in prop::sample::select(vec![10u8, 127, 169, 172, 192]),
        b in any::<u8>(),
        c in any::<u8>(),
        d in any::<u8>(),
    ) {
        let b = match a {
            169 => 254,
            172 => 16 + b % 16,
            192 => 168,
            _ => b,
        };
        let policy = UrlPolicy { local_mode: false, allowed_subnets: Vec::new() };
        let url = format!("https://{a}.{b}.{c}.{d}/hook");
        prop_assert!(policy.check(&url).is_err(), "{}", url);
    }
}

proptest! {
    /// The log scan's filter patterns and shapes take anything: a pattern parses or is refused
    /// with a reason, matching never panics, and a shape has no digits left.
    #[test]
    fn log_patterns_and_shapes_take_any_input(
        pattern in prop_oneof![
            ".{0,80}",
            "[{}()$.a-z=!<>&|\" *?0-9-]{0,60}",
        ],
        message in prop_oneof![".{0,200}", arbitrary_json().prop_map(|v| v.to_string())],
    ) {
        if let Ok(parsed) = faultline::logs::FilterPattern::parse(&pattern) {
            let _ = parsed.matches(&message);
        }
        let shape = faultline::logs::shape(&message);
        prop_assert!(!shape.chars().any(|c| c.is_ascii_digit()), "{shape}");
    }
}
