//! What a notification says, independent of where it goes: rendered from the incident as its
//! event carried it, and hashed so the log can tell whether anything changed.

use crate::domain::{IncidentStatus, Severity};
use crate::views::IncidentView;
use sha2::{Digest, Sha256};

/// One notification's content.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The incident after the change.
    pub incident: IncidentView,
    /// What changed since the destination was last told, in a few words (`Opened`,
    /// `Acknowledged`, `3 more occurrences (7 in all)`, `Resolved`).
    pub news: String,
    /// A link to the incident in the hub's API, when the hub's public URL is configured.
    pub hub_url: Option<String>,
}

/// What the last message showed, as far as the news line needs it.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// Its status.
    pub status: IncidentStatus,
    /// Its severity.
    pub severity: Severity,
    /// Its occurrences.
    pub occurrences: u64,
}

impl Notice {
    /// The notice for `incident`, whose last message (if any) showed `shown`.
    pub fn new(incident: IncidentView, shown: Option<Shown>, public_url: Option<&str>) -> Self {
        let news = news(&incident, shown);
        let kind = match incident.kind {
            crate::domain::SignalKind::Issue => "issues",
            _ => "incidents",
        };
        let hub_url = public_url
            .map(|base| format!("{}/v1/{kind}/{}", base.trim_end_matches('/'), incident.id));
        Self {
            incident,
            news,
            hub_url,
        }
    }

    /// `[CRITICAL] Database down`.
    pub fn headline(&self) -> String {
        format!(
            "[{}] {}",
            self.incident.severity.as_str().to_uppercase(),
            self.incident.title
        )
    }

    /// The status in a word, with the status for a resolved one: `Open`, `Acknowledged`,
    /// `Resolved`.
    pub fn status_word(&self) -> &'static str {
        status_name(self.incident.status)
    }

    /// The facts every rendering shows, as (label, value) pairs; absent values left out.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let i = &self.incident;
        let mut facts = vec![
            ("Severity", i.severity.as_str().to_owned()),
            ("Status", status_name(i.status).to_owned()),
        ];
        if let Some(service) = &i.service {
            facts.push(("Service", service.clone()));
        }
        if let Some(environment) = &i.environment {
            facts.push(("Environment", environment.clone()));
        }
        facts.push(("Source", i.source.as_str().to_owned()));
        facts.push(("Occurrences", i.occurrences.to_string()));
        if let Some(assignee) = &i.assignee {
            facts.push(("Assignee", assignee.clone()));
        }
        facts
    }

    /// The links to offer: the provider's page, then the hub's.
    pub fn links(&self) -> Vec<(&'static str, String)> {
        let mut links = Vec::new();
        if let Some(url) = &self.incident.url {
            links.push(("Open at the source", url.clone()));
        }
        if let Some(url) = &self.hub_url {
            links.push(("Open in Faultline", url.clone()));
        }
        links
    }

    /// The plain-text form (email's text part, Slack's `text` fallback).
    pub fn plain_text(&self) -> String {
        let mut text = format!(
            "{} — {}\n{}\n",
            self.headline(),
            self.status_word(),
            self.news
        );
        if let Some(description) = &self.incident.description {
            text.push('\n');
            text.push_str(description);
            text.push('\n');
        }
        text.push('\n');
        for (label, value) in self.facts() {
            text.push_str(&format!("{label}: {value}\n"));
        }
        for (label, url) in self.links() {
            text.push_str(&format!("{label}: {url}\n"));
        }
        text
    }

    /// A hash of what a message shows (not the news line, which depends on the last message):
    /// equal hashes mean there is nothing new to say.
    pub fn content_hash(&self) -> String {
        let i = &self.incident;
        let shown = serde_json::json!([
            i.title,
            i.description,
            i.severity,
            i.status,
            i.occurrences,
            i.assignee,
            i.service,
            i.environment,
            i.url,
            i.priority,
        ]);
        hex::encode(&Sha256::digest(shown.to_string().as_bytes())[..16])
    }

    /// A colour for the severity (hex, no `#`), green once resolved.
    pub fn colour(&self) -> &'static str {
        if self.incident.status == IncidentStatus::Resolved {
            return "2EB67D";
        }
        match self.incident.severity {
            Severity::Critical => "E01E5A",
            Severity::High => "F2711C",
            Severity::Medium => "ECB22E",
            Severity::Low => "36C5F0",
            Severity::Info => "9E9EA6",
        }
    }
}

fn status_name(status: IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Open => "Open",
        IncidentStatus::Acknowledged => "Acknowledged",
        IncidentStatus::Resolved => "Resolved",
    }
}

/// What changed since `shown`, in a few words.
fn news(incident: &IncidentView, shown: Option<Shown>) -> String {
    let Some(shown) = shown else {
        return match incident.status {
            IncidentStatus::Resolved => "Resolved".into(),
            IncidentStatus::Acknowledged => "Opened and acknowledged".into(),
            IncidentStatus::Open => "Opened".into(),
        };
    };
    let mut parts = Vec::new();
    match (shown.status, incident.status) {
        (before, now) if before == now => {}
        (IncidentStatus::Resolved, _) => parts.push("Reopened".to_owned()),
        (_, IncidentStatus::Resolved) => parts.push("Resolved".to_owned()),
        (_, IncidentStatus::Acknowledged) => parts.push("Acknowledged".to_owned()),
        (_, IncidentStatus::Open) => parts.push("Unacknowledged".to_owned()),
    }
    if shown.severity != incident.severity {
        parts.push(format!(
            "severity {} → {}",
            shown.severity.as_str(),
            incident.severity.as_str()
        ));
    }
    if incident.occurrences > shown.occurrences {
        let more = incident.occurrences - shown.occurrences;
        parts.push(format!(
            "{more} more occurrence{} ({} in all)",
            if more == 1 { "" } else { "s" },
            incident.occurrences
        ));
    }
    if parts.is_empty() {
        "Updated".into()
    } else {
        let mut line = parts.join(", ");
        if let Some(first) = line.get(..1) {
            line = first.to_uppercase() + &line[1..];
        }
        line
    }
}

impl Notice {
    /// The summary of `folded` notifications held back at `destination` (over its `limit` a
    /// minute) in the minute from `since`, with a link to them in the ledger when the hub's public URL is known.
    pub fn flood_summary(
        folded: u64,
        since: chrono::DateTime<chrono::Utc>,
        destination: &crate::domain::DestinationId,
        public_url: Option<&str>,
        limit: u64,
    ) -> Self {
        let ledger = format!("/v1/notifications?destination_id={destination}&status=folded");
        let mut notice = Self::test("", since);
        notice.incident.title = format!(
            "{folded} more notification{} in the minute from {} UTC",
            if folded == 1 { "" } else { "s" },
            since.format("%H:%M")
        );
        notice.incident.description = Some(format!(
            "More than {} notifications a minute came for this destination, so the rest were \
             folded into this summary instead of flooding it. Each is listed, with its incident, \
             at GET {ledger}.",
            limit
        ));
        notice.incident.severity = Severity::Info;
        notice.news = "Summary".into();
        notice.hub_url = public_url.map(|base| format!("{}{ledger}", base.trim_end_matches('/')));
        notice
    }

    /// A notice that is plainly a test, for `POST /v1/destinations/{id}/test`.
    pub fn test(destination_name: &str, now: chrono::DateTime<chrono::Utc>) -> Self {
        let incident = IncidentView {
            id: "inc_test".into(),
            kind: crate::domain::SignalKind::Alert,
            title: format!("Test notification for {destination_name}"),
            description: Some(
                "Faultline can reach this destination. Nothing is wrong: no incident was opened."
                    .into(),
            ),
            severity: Severity::Info,
            status: IncidentStatus::Open,
            fingerprint: crate::domain::Fingerprint::from_key("faultline", "destination-test"),
            upstream_id: None,
            project_id: None,
            assignee: None,
            priority: None,
            source: crate::domain::Source::Generic,
            integration_id: String::new(),
            service: None,
            environment: None,
            url: None,
            attributes: serde_json::Map::new(),
            occurrences: 1,
            first_seen_at: now,
            last_seen_at: now,
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            resolved_at: None,
        };
        Self {
            incident,
            news: "Test".into(),
            hub_url: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(status: IncidentStatus, occurrences: u64) -> Option<Shown> {
        Some(Shown {
            status,
            severity: Severity::High,
            occurrences,
        })
    }

    #[test]
    fn the_news_line_says_what_changed_since_the_last_message() {
        let mut incident = Notice::test("x", chrono::Utc::now()).incident;
        incident.severity = Severity::High;
        assert_eq!(news(&incident, None), "Opened");
        incident.occurrences = 4;
        assert_eq!(
            news(&incident, shown(IncidentStatus::Open, 1)),
            "3 more occurrences (4 in all)"
        );
        incident.status = IncidentStatus::Acknowledged;
        assert_eq!(
            news(&incident, shown(IncidentStatus::Open, 4)),
            "Acknowledged"
        );
        incident.status = IncidentStatus::Resolved;
        incident.severity = Severity::Critical;
        assert_eq!(
            news(&incident, shown(IncidentStatus::Open, 3)),
            "Resolved, severity high → critical, 1 more occurrence (4 in all)"
        );
        incident.status = IncidentStatus::Open;
        assert_eq!(
            news(&incident, shown(IncidentStatus::Resolved, 4)),
            "Reopened, severity high → critical"
        );
    }

    #[test]
    fn the_content_hash_ignores_the_news_line_and_follows_what_is_shown() {
        let notice = Notice::test("x", chrono::Utc::now());
        let mut same = notice.clone();
        same.news = "something else".into();
        assert_eq!(notice.content_hash(), same.content_hash());
        let mut more = notice.clone();
        more.incident.occurrences += 1;
        assert_ne!(notice.content_hash(), more.content_hash());
    }

    #[test]
    fn links_point_at_the_source_and_the_hub() {
        let mut incident = Notice::test("x", chrono::Utc::now()).incident;
        incident.id = "inc_01JD0000000000000000000000".into();
        incident.url = Some("https://sentry.io/issues/1".into());
        let notice = Notice::new(incident, None, Some("https://hub.example.com/"));
        assert_eq!(
            notice.links(),
            [
                (
                    "Open at the source",
                    "https://sentry.io/issues/1".to_owned()
                ),
                (
                    "Open in Faultline",
                    "https://hub.example.com/v1/incidents/inc_01JD0000000000000000000000"
                        .to_owned()
                ),
            ]
        );
    }
}
