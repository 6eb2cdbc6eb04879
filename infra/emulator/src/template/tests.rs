use super::*;

fn project_template() -> Template {
    let body =
        std::fs::read_to_string(crate::default_template_path()).expect("template.yaml is readable");
    Template::parse(&body).expect("template.yaml parses")
}

#[test]
fn reads_every_function_and_its_triggers() {
    let template = project_template();
    let api = template
        .functions
        .iter()
        .find(|f| f.binary == "faultline-api")
        .expect("api function");
    assert!(api.triggers.contains(&Trigger::Http {
        method: "GET".into(),
        path: "/v1/incidents/{id}".into()
    }));
    let dispatch = template
        .functions
        .iter()
        .find(|f| f.binary == "faultline-dispatch")
        .expect("dispatch");
    assert_eq!(
        dispatch.triggers,
        vec![
            Trigger::Sqs {
                queue: "DeliveriesQueue".into(),
                batch_size: 10
            },
            Trigger::Sqs {
                queue: "RetriesQueue".into(),
                batch_size: 10
            }
        ]
    );
    let relay = template
        .functions
        .iter()
        .find(|f| f.binary == "faultline-outbox-relay")
        .expect("relay");
    assert_eq!(
        relay.triggers,
        vec![
            Trigger::Stream {
                table: "Table".into(),
                batch_size: 100,
                filters: vec![r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}"#.into()],
            },
            Trigger::Schedule {
                every: Duration::from_secs(60)
            }
        ]
    );
    assert_eq!(template.secrets.len(), 3);
}

#[test]
fn rates_parse() {
    assert_eq!(parse_rate("rate(1 minute)"), Some(Duration::from_secs(60)));
    assert_eq!(
        parse_rate("rate(5 minutes)"),
        Some(Duration::from_secs(300))
    );
    assert_eq!(parse_rate("rate(2 hours)"), Some(Duration::from_secs(7200)));
    assert_eq!(parse_rate("cron(0 * * * ? *)"), None);
}

#[test]
fn environment_resolves_parameters_and_resources() {
    let template = project_template();
    let ids = [
        "Table",
        "ArchiveBucket",
        "EventsQueue",
        "DeliveriesQueue",
        "RetriesQueue",
        "DataKeySecret",
        "EventsDeadLetterQueue",
        "DeliveriesDeadLetterQueue",
        "PlatformAdminKeySecret",
        "TokenSigningKeySecret",
        "NotifyQueue",
        "NotifyDeadLetterQueue",
        "ExportsBucket",
        "ExportQueue",
        "ExportDeadLetterQueue",
    ]
    .into_iter()
    .map(|id| (id.to_owned(), format!("physical-{id}")))
    .collect();
    let env = template.resolve_environment(&ids).expect("resolves");
    assert_eq!(env["FAULTLINE_TABLE"], "physical-Table");
    assert_eq!(
        env["FAULTLINE_RETRY_SCHEDULE"],
        "5,300,1800,7200,18000,36000,36000"
    );
    assert_eq!(env["RUST_LOG"], "info");
}

/// The resources of template.yaml, as plain YAML.
fn resources() -> Mapping {
    let body = std::fs::read_to_string(crate::default_template_path()).expect("template");
    let root: Value = serde_yaml::from_str(&body).expect("yaml");
    root.get("Resources")
        .and_then(Value::as_mapping)
        .cloned()
        .expect("resources")
}

fn of_type<'a>(resources: &'a Mapping, kind: &str) -> Vec<(String, &'a Value)> {
    resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(scalar).as_deref() == Some(kind))
        .map(|(id, r)| (scalar(id).unwrap_or_default(), r))
        .collect()
}

#[test]
fn every_queue_dead_letters_with_an_alarm_every_function_logs_with_retention_and_the_bucket_is_tls_only(
) {
    let resources = resources();
    let queues = of_type(&resources, "AWS::SQS::Queue");
    let alarmed: Vec<String> = of_type(&resources, "AWS::CloudWatch::Alarm")
        .iter()
        .filter_map(|(_, a)| {
            let dimensions = get(a, &["Properties", "Dimensions"])?.as_sequence()?;
            dimensions
                .iter()
                .find_map(|d| d.get("Value").and_then(referenced_id))
        })
        .collect();
    let mut dead_letter_queues = Vec::new();
    for (id, queue) in &queues {
        match get(
            queue,
            &["Properties", "RedrivePolicy", "deadLetterTargetArn"],
        ) {
            Some(target) => dead_letter_queues.push(referenced_id(target).expect("a queue")),
            None => assert!(
                id.ends_with("DeadLetterQueue"),
                "{id} has no dead-letter queue"
            ),
        }
    }
    for (id, _) in queues
        .iter()
        .filter(|(id, _)| id.ends_with("DeadLetterQueue"))
    {
        assert!(alarmed.contains(id), "{id} has no alarm");
    }
    assert!(dead_letter_queues.contains(&"DeliveriesDeadLetterQueue".to_owned()));

    for (id, function) in of_type(&resources, "AWS::Serverless::Function") {
        let group = get(function, &["Properties", "LoggingConfig", "LogGroup"])
            .and_then(referenced_id)
            .unwrap_or_else(|| panic!("{id} logs to no group of its own"));
        assert!(
            get(
                &resources[group.as_str()],
                &["Properties", "RetentionInDays"]
            )
            .is_some(),
            "{group} keeps logs forever"
        );
    }

    let policy = &of_type(&resources, "AWS::S3::BucketPolicy")[0].1;
    let statement = &get(policy, &["Properties", "PolicyDocument", "Statement"])
        .and_then(Value::as_sequence)
        .expect("statements")[0];
    assert_eq!(
        statement.get("Effect").and_then(scalar).as_deref(),
        Some("Deny")
    );
    assert_eq!(
        get(statement, &["Condition", "Bool", "aws:SecureTransport"]).and_then(scalar),
        Some("false".into())
    );
    let rules = get(
        &resources["ArchiveBucket"],
        &["Properties", "LifecycleConfiguration", "Rules"],
    )
    .and_then(Value::as_sequence)
    .expect("lifecycle rules");
    assert!(rules
        .iter()
        .any(|r| r.get("AbortIncompleteMultipartUpload").is_some()));
    assert!(rules.iter().any(|r| {
        r.get("Prefix").and_then(scalar).as_deref() == Some("raw/")
            && r.get("ExpirationInDays").and_then(referenced_id).as_deref()
                == Some("RawArchiveRetentionDays")
    }));
}

#[test]
fn the_dashboard_is_json_and_draws_the_metrics_the_functions_emit() {
    let resources = resources();
    let body = get(
        &resources["Dashboard"],
        &["Properties", "DashboardBody", "Fn::Sub"],
    )
    .and_then(scalar)
    .expect("a dashboard body")
    .replace("${AWS::Region}", "us-east-1");
    let dashboard: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let text = dashboard.to_string();
    for metric in [
        "InboundWebhooks",
        "Deliveries",
        "AttemptLatency",
        "RelayedEvents",
    ] {
        assert!(text.contains(metric), "{metric} is drawn");
    }
    let alarmed: Vec<String> = of_type(&resources, "AWS::CloudWatch::Alarm")
        .iter()
        .filter(|(_, a)| {
            get(a, &["Properties", "Namespace"])
                .and_then(scalar)
                .as_deref()
                == Some("Faultline")
        })
        .filter_map(|(_, a)| get(a, &["Properties", "MetricName"]).and_then(scalar))
        .collect();
    assert_eq!(alarmed, ["InboundWebhooks", "Deliveries"]);
}
