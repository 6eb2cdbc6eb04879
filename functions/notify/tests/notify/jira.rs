use crate::common::*;
use base64::Engine as _;
use faultline::domain::notification::ticket::{
    identity_label, JiraDeployment, JiraProject, Regression,
};
use faultline::domain::notification::{Destination, Target, Throttle};
use faultline::domain::{EventType, IncidentStatus, TenantId};
use faultline::services::notify::{notify, NotifyOutcome};
use faultline_testkit::TestStack;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const EMAIL: &str = "oncall@example.com";
pub const TOKEN: &str = "ATATT3xFfGF0-jira-api-token";

/// A Jira Cloud site: creates `OPS-1` (then `OPS-2`), takes comments, offers the usual
/// transitions and takes one, links issues; every call must carry Basic auth.
pub async fn jira_site() -> MockServer {
    let server = MockServer::start().await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{TOKEN}"))
    );
    let created = |n: u32| {
        ResponseTemplate::new(201).set_body_json(json!({"id": format!("1000{n}"),
            "key": format!("OPS-{n}"), "self": format!("https://acme.atlassian.net/rest/api/3/issue/1000{n}")}))
    };
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .and(header("authorization", basic.as_str()))
        .respond_with(created(1))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issue"))
        .and(header("authorization", basic.as_str()))
        .respond_with(created(2))
        .with_priority(2)
        .mount(&server)
        .await;
    for key in ["OPS-1", "OPS-2"] {
        Mock::given(method("POST"))
            .and(path(format!("/rest/api/3/issue/{key}/comment")))
            .and(header("authorization", basic.as_str()))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "20000"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/rest/api/3/issue/{key}/transitions")))
            .and(header("authorization", basic.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"transitions": [
                {"id": "11", "name": "To Do", "to": {"statusCategory": {"key": "new"}}},
                {"id": "21", "name": "In Progress", "to": {"statusCategory": {"key": "indeterminate"}}},
                {"id": "31", "name": "Done", "to": {"statusCategory": {"key": "done"}}},
                {"id": "41", "name": "Reopen", "to": {"statusCategory": {"key": "new"}}},
            ]})))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/rest/api/3/issue/{key}/transitions")))
            .and(header("authorization", basic.as_str()))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
    }
    Mock::given(method("PUT"))
        .and(path("/rest/api/3/issue/OPS-1"))
        .and(header("authorization", basic.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/api/3/issueLink"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    server
}

/// A Jira Cloud project `OPS` at `site`.
pub fn project(
    site: &str,
    on_regression: Regression,
) -> impl FnOnce(&faultline::secrets::SecretCipher, &str) -> Target {
    let site = site.to_owned();
    move |cipher, context| {
        Target::Jira(JiraProject {
            site_url: site,
            deployment: JiraDeployment::Cloud,
            email: Some(EMAIL.into()),
            token: cipher.seal(TOKEN, context),
            masked: "ATATT****".into(),
            project_key: "OPS".into(),
            issue_type: "Bug".into(),
            component: Some("checkout".into()),
            labels: vec!["from-faultline".into()],
            priorities: [("critical".to_owned(), "Highest".to_owned())].into(),
            resolve_transition: "done".into(),
            reopen_transition: "Reopen".into(),
            on_regression,
        })
    }
}

pub async fn jira(
    stack: &TestStack,
    tenant: &TenantId,
    site: &MockServer,
    on_regression: Regression,
) -> Destination {
    destination_of(stack, tenant, project(&site.uri(), on_regression)).await
}

/// Sends each (incident, event) in turn, a second apart; every one must be sent.
async fn lifecycle(
    stack: &TestStack,
    destination: &Destination,
    steps: &[(&faultline::domain::Incident, EventType)],
) {
    for (incident, event_type) in steps {
        let outcome = notify(
            &stack.state,
            &task(incident, *event_type, destination, Throttle::default()),
        )
        .await
        .expect("notified");
        assert_eq!(outcome, NotifyOutcome::Sent, "{event_type:?}");
        next_second(stack);
    }
}

fn texts(node: &Value, out: &mut String) {
    if let Some(text) = node["text"].as_str() {
        out.push_str(text);
        out.push(' ');
    }
    for child in node["content"].as_array().into_iter().flatten() {
        texts(child, out);
    }
}

#[tokio::test]
async fn open_acknowledge_resolve_is_one_issue_a_comment_and_the_done_transition() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    let acknowledged = changed(&opened, acknowledge);
    let resolved = changed(&acknowledged, resolve);
    lifecycle(
        &stack,
        &jira,
        &[
            (&opened, EventType::IncidentCreated),
            (&acknowledged, EventType::IncidentUpdated),
            (&resolved, EventType::IncidentResolved),
        ],
    )
    .await;

    let creates = bodies(&site, "/rest/api/3/issue").await;
    assert_eq!(creates.len(), 1, "one issue");
    let fields = &creates[0]["fields"];
    assert_eq!(fields["project"]["key"], "OPS");
    assert_eq!(fields["issuetype"]["name"], "Bug");
    assert_eq!(fields["summary"], "[CRITICAL] Checkout API 5xx above 5%");
    assert_eq!(fields["priority"]["name"], "Highest");
    assert_eq!(fields["components"], json!([{"name": "checkout"}]));
    assert_eq!(
        fields["labels"],
        json!(["from-faultline", identity_label(&opened.id)])
    );
    let description = &fields["description"];
    assert_eq!(description["type"], "doc");
    assert_eq!(description["version"], 1);
    let mut text = String::new();
    texts(description, &mut text);
    assert!(
        text.contains("Severity:") && text.contains("critical"),
        "{text}"
    );

    let comments = bodies(&site, "/rest/api/3/issue/OPS-1/comment").await;
    assert_eq!(comments.len(), 1, "the acknowledgement");
    assert_eq!(comments[0]["body"]["type"], "doc");
    let mut text = String::new();
    texts(&comments[0]["body"], &mut text);
    assert!(text.starts_with("Acknowledged."), "{text}");

    let moves = bodies(&site, "/rest/api/3/issue/OPS-1/transitions").await;
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0]["transition"]["id"], "31", "`done` matches `Done`");
    assert_eq!(
        moves[0]["update"]["comment"][0]["add"]["body"]["type"],
        "doc"
    );
    let entry = log_entry(&stack, &opened, &jira).await.expect("logged");
    let ticket = entry.ticket.expect("the issue is remembered");
    assert_eq!(ticket.key, "OPS-1");
    assert_eq!(
        ticket.url.as_deref(),
        Some(format!("{}/browse/OPS-1", site.uri()).as_str())
    );
}

#[tokio::test]
async fn a_regression_reopens_the_issue_under_the_reopen_policy() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let opened = incident(&stack, &tenant).await;
    let resolved = changed(&opened, resolve);
    let regressed = changed(&resolved, |i| i.status = IncidentStatus::Open);
    lifecycle(
        &stack,
        &jira,
        &[
            (&opened, EventType::IncidentCreated),
            (&resolved, EventType::IncidentResolved),
            (&regressed, EventType::IncidentUpdated),
        ],
    )
    .await;
    assert_eq!(
        bodies(&site, "/rest/api/3/issue").await.len(),
        1,
        "no new issue"
    );
    let moves: Vec<Value> = bodies(&site, "/rest/api/3/issue/OPS-1/transitions")
        .await
        .iter()
        .map(|m| m["transition"]["id"].clone())
        .collect();
    assert_eq!(moves, [json!("31"), json!("41")], "Done, then Reopen");
}

#[tokio::test]
async fn a_regression_opens_a_new_linked_issue_under_the_new_issue_policy() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::NewIssue).await;
    let opened = incident(&stack, &tenant).await;
    let resolved = changed(&opened, resolve);
    let regressed = changed(&resolved, |i| i.status = IncidentStatus::Open);
    let resolved_again = changed(&regressed, resolve);
    lifecycle(
        &stack,
        &jira,
        &[
            (&opened, EventType::IncidentCreated),
            (&resolved, EventType::IncidentResolved),
            (&regressed, EventType::IncidentUpdated),
            (&resolved_again, EventType::IncidentResolved),
        ],
    )
    .await;
    assert_eq!(bodies(&site, "/rest/api/3/issue").await.len(), 2);
    let links = bodies(&site, "/rest/api/3/issueLink").await;
    assert_eq!(
        links,
        [
            json!({"type": {"name": "Relates"}, "inwardIssue": {"key": "OPS-2"}, "outwardIssue": {"key": "OPS-1"}})
        ]
    );
    assert_eq!(
        bodies(&site, "/rest/api/3/issue/OPS-2/transitions")
            .await
            .len(),
        1,
        "the new one closes"
    );
    let entry = log_entry(&stack, &opened, &jira).await.expect("logged");
    assert_eq!(entry.ticket.expect("ticket").key, "OPS-2");
}

#[tokio::test]
async fn a_missing_transition_fails_for_good_naming_those_offered() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = destination_of(&stack, &tenant, |cipher, context| {
        let Target::Jira(mut project) = project(&site.uri(), Regression::Reopen)(cipher, context)
        else {
            unreachable!()
        };
        project.resolve_transition = "Close Issue".into();
        Target::Jira(project)
    })
    .await;
    let opened = incident(&stack, &tenant).await;
    lifecycle(&stack, &jira, &[(&opened, EventType::IncidentCreated)]).await;
    let resolved = changed(&opened, resolve);
    let outcome = notify(
        &stack.state,
        &task(
            &resolved,
            EventType::IncidentResolved,
            &jira,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    assert_eq!(outcome, NotifyOutcome::Failed);
    let ledger = ledger(&stack, &tenant).await;
    let detail = ledger[0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("no transition named `Close Issue`")
            && detail.contains("To Do, In Progress, Done, Reopen"),
        "{detail}"
    );
}

#[tokio::test]
async fn data_center_uses_rest_v2_a_bearer_token_and_wiki_text() {
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .and(header("authorization", "Bearer dc-personal-access-token"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "1", "key": "OPS-9"})))
        .mount(&site)
        .await;
    let uri = site.uri();
    let jira = destination_of(&stack, &tenant, move |cipher, context| {
        let Target::Jira(mut project) = project(&uri, Regression::Reopen)(cipher, context) else {
            unreachable!()
        };
        project.deployment = JiraDeployment::DataCenter;
        project.email = None;
        project.token = cipher.seal("dc-personal-access-token", context);
        Target::Jira(project)
    })
    .await;
    let opened = incident(&stack, &tenant).await;
    lifecycle(&stack, &jira, &[(&opened, EventType::IncidentCreated)]).await;
    let creates = bodies(&site, "/rest/api/2/issue").await;
    assert_eq!(creates.len(), 1);
    let description = creates[0]["fields"]["description"]
        .as_str()
        .expect("wiki text");
    assert!(
        description.contains("* *Severity:* critical"),
        "{description}"
    );
}

#[tokio::test]
async fn a_severity_change_sets_the_mapped_priority_and_comments_and_occurrences_alone_do_nothing()
{
    let stack = stack().await;
    let (tenant, _) = stack.tenant().await;
    let site = jira_site().await;
    let jira = jira(&stack, &tenant, &site, Regression::Reopen).await;
    let mut opened = incident(&stack, &tenant).await;
    opened.severity = faultline::domain::Severity::High;
    let escalated = changed(&opened, |i| {
        i.severity = faultline::domain::Severity::Critical
    });
    lifecycle(
        &stack,
        &jira,
        &[
            (&opened, EventType::IncidentCreated),
            (&escalated, EventType::IncidentUpdated),
        ],
    )
    .await;
    assert_eq!(
        bodies(&site, "/rest/api/3/issue/OPS-1").await,
        [json!({"fields": {"priority": {"name": "Highest"}}})]
    );
    assert_eq!(
        bodies(&site, "/rest/api/3/issue/OPS-1/comment").await.len(),
        1
    );
    let more = changed(&escalated, |i| i.occurrences += 5);
    let outcome = notify(
        &stack.state,
        &task(
            &more,
            EventType::IncidentUpdated,
            &jira,
            Throttle::default(),
        ),
    )
    .await
    .expect("handled");
    assert!(
        matches!(outcome, NotifyOutcome::Held(ref r) if r.contains("nothing a ticket needs")),
        "{outcome:?}"
    );
    assert_eq!(
        bodies(&site, "/rest/api/3/issue/OPS-1/comment").await.len(),
        1
    );
}
