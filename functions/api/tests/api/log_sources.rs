//! `/v1/log-sources`: created, validated, listed, changed, scanned on demand against CloudWatch
//! Logs on the emulator, their health shown; and `GET /v1/issues/{id}/evidence`.

use crate::call;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use faultline_testkit::{HttpEvent, TestStack};
use serde_json::json;

#[tokio::test]
async fn log_sources_are_managed_scanned_on_demand_and_show_their_evidence() {
    let stack = TestStack::deploy().await;
    let (_, admin) = stack.tenant().await;
    let k = Some(admin.expose());
    let group = format!(
        "/aws/lambda/orders-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let logs = &stack.clients.logs;
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("group");
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("web")
        .send()
        .await
        .expect("stream");
    let at = chrono::Utc::now().timestamp_millis() - 120_000;
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("web")
        .log_events(
            InputLogEvent::builder()
                .timestamp(at)
                .message("ERROR order 17 lost in transit")
                .build()
                .expect("event"),
        )
        .log_events(
            InputLogEvent::builder()
                .timestamp(at + 1)
                .message("ERROR order 18 lost in transit")
                .build()
                .expect("event"),
        )
        .log_events(
            InputLogEvent::builder()
                .timestamp(at + 2)
                .message("ERROR healthcheck failed")
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("written");

    let create = |body: serde_json::Value| {
        HttpEvent::load("api/create-log-source.json")
            .key(k)
            .body_json(&body)
    };
    for (body, field) in [
        (json!({"name": "x", "log_group": "has space"}), "log_group"),
        (
            json!({"name": "x", "log_group": "/a", "role_arn": "arn:aws:iam::1:role/x"}),
            "role_arn",
        ),
        (
            json!({"name": "x", "log_group": "/a", "external_id": "has space"}),
            "external_id",
        ),
        (
            json!({"name": "x", "log_group": "/a", "filter_pattern": "[ip, user]"}),
            "filter_pattern",
        ),
        (json!({"name": "", "log_group": "/a"}), "name"),
        (
            json!({"name": "x", "log_group": "/a", "project_id": "prj_01JD0000000000000000000000"}),
            "project",
        ),
    ] {
        let (status, problem) = call(&stack, &create(body)).await;
        assert!(matches!(status, 404 | 422), "{problem}");
        assert!(problem.to_string().contains(field), "{field}: {problem}");
    }
    let (status, source) = call(
        &stack,
        &create(json!({"name": "Orders", "log_group": group, "filter_pattern": "?ERROR -healthcheck", "environment": "production"})),
    )
    .await;
    assert_eq!(status, 201, "{source}");
    assert_eq!(
        source["service"],
        group.rsplit('/').next().expect("segment")
    );
    let id = source["id"].as_str().expect("id").to_owned();
    let (_, listed) = call(&stack, &HttpEvent::load("api/list-log-sources.json").key(k)).await;
    assert_eq!(listed["items"][0]["id"], id.as_str());

    let (status, report) = call(
        &stack,
        &HttpEvent::load("api/scan-log-source.json")
            .path_param("id", &id)
            .key(k),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["records_matched"], 2,
        "the healthcheck line is excluded: {report}"
    );
    assert_eq!(report["issues_created"], 1);
    let (status, got) = call(
        &stack,
        &HttpEvent::load("api/get-log-source.json")
            .path_param("id", &id)
            .key(k),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        got["scan"]["health"]["last_success_at"].is_string(),
        "{got}"
    );
    assert!(got["scan"]["checkpoint"].is_string());

    let (_, issues) = call(&stack, &HttpEvent::load("api/list-issues.json").key(k)).await;
    let issue = &issues["items"][0];
    assert_eq!(issue["source"], "cloudwatch");
    assert_eq!(issue["occurrences"], 2);
    let (status, evidence) = call(
        &stack,
        &HttpEvent::load("api/list-issue-evidence.json")
            .path_param("id", issue["id"].as_str().expect("id"))
            .key(k),
    )
    .await;
    assert_eq!(status, 200, "{evidence}");
    assert_eq!(evidence["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        evidence["items"][0]["message"], "ERROR order 18 lost in transit",
        "newest first"
    );

    // Another account's group, through a role: what the on-demand scan reads with.
    let role = "arn:aws:iam::210987654321:role/faultline-log-reader";
    let theirs = faultline_testkit::logs_through_role(&stack.clients, role).await;
    theirs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("their group");
    let (status, cross) = call(
        &stack,
        &create(json!({"name": "Orders (prod account)", "log_group": group,
            "role_arn": "arn:aws:iam::210987654321:role/faultline-log-reader",
            "external_id": "faultline-prod"})),
    )
    .await;
    assert_eq!(status, 201, "{cross}");
    assert_eq!(
        cross["role_arn"],
        "arn:aws:iam::210987654321:role/faultline-log-reader"
    );
    let (status, report) = call(
        &stack,
        &HttpEvent::load("api/scan-log-source.json")
            .path_param("id", cross["id"].as_str().expect("id"))
            .key(k),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report["stopped"],
        serde_json::Value::Null,
        "their group is read: {report}"
    );

    let (status, changed) = call(
        &stack,
        &HttpEvent::load("api/update-log-source.json")
            .path_param("id", &id)
            .key(k)
            .body_json(&json!({"enabled": false, "service": null})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["enabled"], false);
    let (status, _) = call(
        &stack,
        &HttpEvent::load("api/delete-log-source.json")
            .path_param("id", &id)
            .key(k),
    )
    .await;
    assert_eq!(status, 204);
}
