use super::*;
use crate::domain::{
    DeployId, Fingerprint, IncidentId, IncidentStatus, IntegrationId, Severity, Signal, Source,
    TenantId,
};
use chrono::TimeZone;

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, hour, minute, 0).unwrap()
}

fn incident(opened: DateTime<Utc>, severity: Severity, service: &str, key: &str) -> Incident {
    let mut signal = Signal::new(
        Source::Generic,
        Fingerprint::from_key("generic", key),
        format!("{service} down"),
        opened,
    );
    signal.severity = severity;
    let mut incident = Incident::open(
        IncidentId::generate(),
        TenantId::generate(),
        IntegrationId::generate(),
        None,
        &signal,
        opened,
    );
    incident.service = Some(service.into());
    incident
}

fn change(merged: DateTime<Utc>, repo: &str) -> DeployRecord {
    DeployRecord {
        id: DeployId::generate(),
        tenant_id: TenantId::generate(),
        project_id: None,
        integration_id: IntegrationId::generate(),
        repo: repo.into(),
        number: 1,
        title: "a change".into(),
        author: "dev".into(),
        merge_commit: None,
        url: "https://github.com/acme/api/pull/1".into(),
        merged_at: merged,
    }
}

#[test]
fn durations_summarise_as_nearest_rank_percentiles_and_a_mean() {
    let mut d = Durations::default();
    for minutes in [1, 2, 3, 4, 100] {
        d.add(at(0, 0), Some(at(0, 0) + Duration::minutes(minutes)));
    }
    d.add(at(0, 0), None);
    let stats = d.stats();
    assert_eq!(stats.count, 5);
    assert_eq!(stats.p50_seconds, Some(180));
    assert_eq!(stats.p90_seconds, Some(6000));
    assert_eq!(stats.mean_seconds, Some(1320.0));
    assert_eq!(Durations::default().stats().p50_seconds, None);
}

#[test]
fn a_summary_counts_times_noise_and_incidents_after_changes() {
    let changes = vec![change(at(9, 0), "acme/api"), change(at(13, 0), "acme/web")];
    let mut builder = SummaryBuilder::new(changes, Duration::hours(2));
    let mut first = incident(at(10, 0), Severity::Critical, "checkout", "a");
    first.status = IncidentStatus::Resolved;
    first.acknowledged_at = Some(at(10, 5));
    first.resolved_at = Some(at(11, 0));
    let mut second = incident(at(14, 0), Severity::High, "checkout", "a");
    second.occurrences = 7;
    second.acknowledged_at = Some(at(14, 15));
    second.status = IncidentStatus::Acknowledged;
    let third = incident(at(20, 0), Severity::High, "search", "b");
    for i in [&first, &second, &third] {
        builder.add(i);
    }
    let s = builder.finish();
    assert_eq!(s.incidents, 3);
    assert_eq!(s.by_severity["high"], 2);
    assert_eq!(s.by_status["open"], 1);
    assert_eq!(s.by_service["checkout"], 2);
    assert_eq!(s.overall.mtta.count, 2);
    assert_eq!(s.overall.mtta.p90_seconds, Some(900));
    assert_eq!(s.overall.mttr.p50_seconds, Some(3600));
    assert_eq!(s.by_service_times["checkout"].mtta.p50_seconds, Some(900));
    assert_eq!(s.by_severity_times["critical"].mttr.count, 1);
    assert_eq!(s.top_fingerprints[0].incidents, 2);
    assert_eq!(s.top_fingerprints[0].occurrences, 8);
    // 10:00 is an hour after acme/api's change, 14:00 an hour after acme/web's; 20:00 is not
    // within two hours of any.
    assert_eq!(s.after_changes.incidents, 2);
    assert_eq!(s.after_changes.by_repository["acme/api"], 1);
    assert_eq!(s.after_changes.by_repository["acme/web"], 1);
}

#[test]
fn a_series_has_every_bucket_and_counts_each_change_in_its_own() {
    let mut series = SeriesBuilder::new(at(0, 30), at(4, 0), Bucket::Hour);
    let mut incident = incident(at(1, 10), Severity::Low, "search", "c");
    incident.acknowledged_at = Some(at(1, 50));
    incident.resolved_at = Some(at(3, 5));
    series.add(&incident);
    let points = series.finish();
    assert_eq!(points.len(), 4, "00:00, 01:00, 02:00, 03:00");
    assert_eq!(points[0].start, at(0, 0));
    assert_eq!((points[1].opened, points[1].acknowledged), (1, 1));
    assert_eq!(points[1].opened_by_severity["low"], 1);
    assert_eq!(points[3].resolved, 1);
    assert_eq!(
        points[2],
        Point {
            start: at(2, 0),
            ..Default::default()
        }
    );
}
