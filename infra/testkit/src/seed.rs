//! Incidents made up in bulk (for exports, reports and their benchmarks): varied severities,
//! statuses, services and times, each id minted at its creation time as the hub's are, so time
//! filters select them as they would real ones.

use chrono::{DateTime, Duration, Utc};
use faultline::domain::{
    Fingerprint, Incident, IncidentId, IncidentStatus, IntegrationId, Severity, Signal, Source,
    TenantId,
};

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];
const SERVICES: [&str; 4] = ["checkout", "payments", "search", "accounts"];

/// `n` incidents of `tenant`, one a minute before `until`, shaped further by `shape`: every third
/// resolved (acknowledged 4 minutes after opening, resolved after 30 + i mod 60 minutes), every
/// third of the rest acknowledged, the rest open.
pub fn synthetic_incidents(
    tenant: &TenantId,
    n: usize,
    until: DateTime<Utc>,
    mut shape: impl FnMut(usize, &mut Incident),
) -> Vec<Incident> {
    (0..n)
        .map(|i| {
            let opened = until - Duration::minutes(i64::try_from(n - i).unwrap_or(0));
            let mut signal = Signal::new(
                Source::Generic,
                Fingerprint::from_key("generic", &format!("synthetic-{}", i % 500)),
                format!("{} errors above threshold #{i}", SERVICES[i % 4]),
                opened,
            );
            signal.severity = SEVERITIES[i % 5];
            let ms = u64::try_from(opened.timestamp_millis()).unwrap_or(0);
            let id =
                IncidentId::parse(&format!("inc_{}", ulid::Ulid::from_parts(ms, rand_bits(i))))
                    .expect("a well-formed id");
            let mut incident = Incident::open(
                id,
                tenant.clone(),
                IntegrationId::generate(),
                None,
                &signal,
                opened,
            );
            incident.service = Some(SERVICES[i % 4].to_owned());
            incident.environment = Some("production".to_owned());
            if i.is_multiple_of(3) {
                incident.status = IncidentStatus::Resolved;
                incident.acknowledged_at = Some(opened + Duration::minutes(4));
                incident.resolved_at =
                    Some(opened + Duration::minutes(30 + i64::try_from(i % 60).unwrap_or(0)));
            } else if i % 3 == 1 && i.is_multiple_of(2) {
                incident.status = IncidentStatus::Acknowledged;
                incident.acknowledged_at = Some(opened + Duration::minutes(2));
            }
            shape(i, &mut incident);
            incident
        })
        .collect()
}

/// The random part of the `i`th id: distinct per incident.
fn rand_bits(i: usize) -> u128 {
    (u128::from(rand::random::<u64>()) << 16) | (i as u128 & 0xffff)
}
