//! Routing: which destinations hear about which incidents, in the tenant's order.

use crate::domain::{
    DestinationId, EventType, IncidentStatus, NotificationRuleId, Severity, TenantId,
};
use crate::views::IncidentView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The event types notifications are about: what happens to incidents and issues.
pub const NOTIFIED_EVENT_TYPES: &[EventType] = &[
    EventType::IncidentCreated,
    EventType::IncidentUpdated,
    EventType::IncidentAssigned,
    EventType::IncidentResolved,
    EventType::IssueCreated,
    EventType::IssueUpdated,
    EventType::IssueAssigned,
    EventType::IssueResolved,
];

/// One routing rule. Rules are evaluated in `position` order; the first that matches sends to its
/// destinations and stops the evaluation unless it says `continue`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotificationRule {
    /// Its id (`nrl_…`).
    pub id: NotificationRuleId,
    /// Its owner.
    pub tenant_id: TenantId,
    /// What people call it.
    pub name: String,
    /// Where it stands in the evaluation order (lower first; ties by creation).
    pub position: u32,
    /// A disabled rule matches nothing.
    pub enabled: bool,
    /// What it matches; an empty matcher matches everything.
    pub matchers: Matchers,
    /// Where matching notifications go.
    pub destinations: Vec<DestinationId>,
    /// Evaluate the next rules too after this one matched.
    pub continue_matching: bool,
    /// Applies only when no other rule matched (the tenant's default route).
    pub fallback: bool,
    /// How often one incident may notify through this rule.
    pub throttle: Throttle,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a rule matches. Every given field must match; a list matches when any member does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Matchers {
    /// Event types (only those in [`NOTIFIED_EVENT_TYPES`]); empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<EventType>,
    /// This severity or worse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Sources (`generic`, `github`, `pagerduty`, `sentry`, `slack`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Project ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub project_ids: Vec<String>,
    /// Services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Environments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Incident attributes that must equal these strings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// How often one incident notifies through a rule. Status and severity changes always pass
/// (an acknowledgement or a resolve is never held back); what these limit is news that changes
/// neither (another occurrence, a new assignee).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throttle {
    /// Only the opening message (and then the resolve) while the incident stays unresolved.
    #[serde(default)]
    pub once_until_resolved: bool,
    /// At most one message per this many minutes for a still-open incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval_minutes: Option<u32>,
}

/// What a notification is about: an incident or an issue as its event carried it.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// The event type.
    pub event_type: EventType,
    /// The incident after the change.
    pub incident: &'a IncidentView,
}

impl Matchers {
    /// Whether `subject` matches every given field.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        let incident = subject.incident;
        let any = |wanted: &[String], actual: Option<&str>| {
            wanted.is_empty() || actual.is_some_and(|a| wanted.iter().any(|w| w == a))
        };
        (self.event_types.is_empty() || self.event_types.contains(&subject.event_type))
            && self.min_severity.is_none_or(|min| incident.severity <= min)
            && any(&self.sources, Some(incident.source.as_str()))
            && any(&self.project_ids, incident.project_id.as_deref())
            && any(&self.services, incident.service.as_deref())
            && any(&self.environments, incident.environment.as_deref())
            && self.attributes.iter().all(|(name, wanted)| {
                incident
                    .attributes
                    .get(name)
                    .is_some_and(|value| match value {
                        serde_json::Value::String(s) => s == wanted,
                        other => serde_json::to_string(other).ok().as_deref() == Some(wanted),
                    })
            })
    }
}

/// One destination a subject goes to, and the rule that sent it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The rule (its throttle applies).
    pub rule_id: NotificationRuleId,
    /// The destination.
    pub destination_id: DestinationId,
    /// The rule's throttle.
    pub throttle: Throttle,
}

/// Where `subject` goes under `rules` (any order; sorted here): each matching rule in order adds
/// its destinations until one without `continue` matched; fallback rules apply only when no other
/// rule matched. A destination named by several rules is sent once, under the first.
pub fn route(rules: &[NotificationRule], subject: &Subject<'_>) -> Vec<Route> {
    if !NOTIFIED_EVENT_TYPES.contains(&subject.event_type) {
        return Vec::new();
    }
    let mut ordered: Vec<&NotificationRule> = rules.iter().filter(|r| r.enabled).collect();
    ordered.sort_by(|a, b| (a.position, &a.id).cmp(&(b.position, &b.id)));
    let mut routes: Vec<Route> = Vec::new();
    let add = |rule: &NotificationRule, routes: &mut Vec<Route>| {
        for destination in &rule.destinations {
            if !routes.iter().any(|r| &r.destination_id == destination) {
                routes.push(Route {
                    rule_id: rule.id.clone(),
                    destination_id: destination.clone(),
                    throttle: rule.throttle,
                });
            }
        }
    };
    let mut matched = false;
    for rule in ordered.iter().filter(|r| !r.fallback) {
        if rule.matchers.matches(subject) {
            matched = true;
            add(rule, &mut routes);
            if !rule.continue_matching {
                break;
            }
        }
    }
    if !matched {
        for rule in ordered.iter().filter(|r| r.fallback) {
            if rule.matchers.matches(subject) {
                add(rule, &mut routes);
                if !rule.continue_matching {
                    break;
                }
            }
        }
    }
    routes
}

/// What the notification log remembers of the last message about one incident at one
/// destination, as far as throttling needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct LastSent {
    /// The status it showed.
    pub status: IncidentStatus,
    /// The severity it showed.
    pub severity: Severity,
    /// A hash of everything it showed.
    pub content_hash: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// Whether a subject is worth a message, given the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Send,
    /// Say nothing, for this reason (recorded in the ledger).
    Hold(&'static str),
}

/// Decides whether `incident` (whose rendered content hashes to `content_hash`) is news for a
/// destination whose last message was `last`, under `throttle`.
pub fn verdict(
    incident: &IncidentView,
    content_hash: &str,
    last: Option<&LastSent>,
    throttle: Throttle,
    now: DateTime<Utc>,
) -> Verdict {
    let Some(last) = last else {
        return if incident.status == IncidentStatus::Resolved {
            Verdict::Hold("resolved before anything was sent about it")
        } else {
            Verdict::Send
        };
    };
    if last.content_hash == content_hash {
        return Verdict::Hold("nothing new since the last message");
    }
    let status_changed = last.status != incident.status;
    if status_changed || last.severity != incident.severity {
        return Verdict::Send;
    }
    if throttle.once_until_resolved {
        return Verdict::Hold("the rule sends once until the incident resolves");
    }
    if let Some(minutes) = throttle.repeat_interval_minutes {
        if now - last.sent_at < chrono::Duration::minutes(i64::from(minutes)) {
            return Verdict::Hold("within the rule's repeat interval");
        }
    }
    Verdict::Send
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Fingerprint, SignalKind, Source};

    fn incident(severity: Severity, service: &str) -> IncidentView {
        let now = Utc::now();
        IncidentView {
            id: "inc_01JD0000000000000000000000".into(),
            kind: SignalKind::Alert,
            title: "Checkout errors".into(),
            description: None,
            severity,
            status: IncidentStatus::Open,
            fingerprint: Fingerprint::from_key("generic", "checkout"),
            upstream_id: None,
            project_id: Some("prj_01JD0000000000000000000000".into()),
            assignee: None,
            priority: None,
            source: Source::Sentry,
            integration_id: String::new(),
            service: Some(service.into()),
            environment: Some("production".into()),
            url: None,
            attributes: serde_json::json!({"region": "eu-west-1", "shard": 7})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            occurrences: 1,
            first_seen_at: now,
            last_seen_at: now,
            created_at: now,
            updated_at: now,
            acknowledged_at: None,
            resolved_at: None,
        }
    }

    fn rule(
        position: u32,
        matchers: Matchers,
        continue_matching: bool,
        fallback: bool,
    ) -> NotificationRule {
        NotificationRule {
            id: NotificationRuleId::generate(),
            tenant_id: TenantId::generate(),
            name: format!("rule {position}"),
            position,
            enabled: true,
            matchers,
            destinations: vec![DestinationId::generate()],
            continue_matching,
            fallback,
            throttle: Throttle::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn subject(incident: &IncidentView) -> Subject<'_> {
        Subject {
            event_type: EventType::IncidentCreated,
            incident,
        }
    }

    fn sent_to(rules: &[NotificationRule], incident: &IncidentView) -> Vec<usize> {
        route(rules, &subject(incident))
            .iter()
            .map(|r| {
                rules
                    .iter()
                    .position(|rule| rule.destinations[0] == r.destination_id)
                    .unwrap_or(usize::MAX)
            })
            .collect()
    }

    #[test]
    fn matchers_match_every_given_field_and_any_list_member() {
        let critical = incident(Severity::Critical, "payments");
        let m = |f: fn(&mut Matchers)| {
            let mut matchers = Matchers::default();
            f(&mut matchers);
            matchers.matches(&subject(&critical))
        };
        assert!(m(|_| {}), "an empty matcher matches everything");
        assert!(m(|m| m.min_severity = Some(Severity::High)));
        assert!(m(|m| m.min_severity = Some(Severity::Critical)));
        assert!(m(|m| m.services = vec!["search".into(), "payments".into()]));
        assert!(!m(|m| m.services = vec!["search".into()]));
        assert!(m(|m| m.sources = vec!["sentry".into()]));
        assert!(!m(|m| m.environments = vec!["staging".into()]));
        assert!(m(|m| m.event_types = vec![EventType::IncidentCreated]));
        assert!(!m(|m| m.event_types = vec![EventType::IncidentResolved]));
        assert!(m(|m| {
            m.attributes.insert("region".into(), "eu-west-1".into());
            m.attributes.insert("shard".into(), "7".into());
        }));
        assert!(!m(|m| {
            m.attributes.insert("region".into(), "us-east-1".into());
        }));
        let low = incident(Severity::Low, "payments");
        let high_or_worse = Matchers {
            min_severity: Some(Severity::High),
            ..Matchers::default()
        };
        assert!(!high_or_worse.matches(&subject(&low)));
    }

    #[test]
    fn the_first_matching_rule_wins_unless_it_continues_and_fallbacks_only_catch_the_rest() {
        let payments = Matchers {
            services: vec!["payments".into()],
            ..Matchers::default()
        };
        let critical = Matchers {
            min_severity: Some(Severity::Critical),
            ..Matchers::default()
        };
        // Listed out of order: position decides.
        let rules = vec![
            rule(30, Matchers::default(), false, true),
            rule(20, critical.clone(), false, false),
            rule(10, payments.clone(), false, false),
        ];
        assert_eq!(
            sent_to(&rules, &incident(Severity::Critical, "payments")),
            [2],
            "stops at the first"
        );
        assert_eq!(
            sent_to(&rules, &incident(Severity::Critical, "search")),
            [1]
        );
        assert_eq!(
            sent_to(&rules, &incident(Severity::Low, "search")),
            [0],
            "only the fallback"
        );

        let continuing = vec![
            rule(10, payments, true, false),
            rule(20, critical, false, false),
            rule(30, Matchers::default(), false, true),
        ];
        assert_eq!(
            sent_to(&continuing, &incident(Severity::Critical, "payments")),
            [0, 1]
        );
        assert_eq!(
            sent_to(&continuing, &incident(Severity::Low, "payments")),
            [0],
            "a match: no fallback"
        );
    }

    #[test]
    fn a_destination_named_twice_gets_one_notification_and_disabled_rules_match_nothing() {
        let mut first = rule(10, Matchers::default(), true, false);
        let mut second = rule(20, Matchers::default(), false, false);
        second.destinations = first.destinations.clone();
        let routes = route(
            &[first.clone(), second],
            &subject(&incident(Severity::High, "x")),
        );
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].rule_id, first.id);
        first.enabled = false;
        assert!(route(&[first], &subject(&incident(Severity::High, "x"))).is_empty());
    }

    #[test]
    fn events_that_are_not_about_incidents_are_not_routed() {
        let rules = [rule(10, Matchers::default(), false, false)];
        let open = incident(Severity::High, "x");
        let ping = Subject {
            event_type: EventType::Ping,
            incident: &open,
        };
        assert!(route(&rules, &ping).is_empty());
    }

    #[test]
    fn throttles_hold_news_but_never_a_status_or_severity_change() {
        let now = Utc::now();
        let open = incident(Severity::High, "x");
        let last = LastSent {
            status: IncidentStatus::Open,
            severity: Severity::High,
            content_hash: "before".into(),
            sent_at: now - chrono::Duration::minutes(10),
        };
        let none = Throttle::default();
        let once = Throttle {
            once_until_resolved: true,
            ..Throttle::default()
        };
        let hourly = Throttle {
            repeat_interval_minutes: Some(60),
            ..Throttle::default()
        };
        assert_eq!(
            verdict(&open, "before", Some(&last), none, now),
            Verdict::Hold("nothing new since the last message")
        );
        assert_eq!(
            verdict(&open, "after", Some(&last), none, now),
            Verdict::Send
        );
        assert!(matches!(
            verdict(&open, "after", Some(&last), once, now),
            Verdict::Hold(_)
        ));
        assert!(matches!(
            verdict(&open, "after", Some(&last), hourly, now),
            Verdict::Hold(_)
        ));
        assert_eq!(
            verdict(
                &open,
                "after",
                Some(&last),
                hourly,
                now + chrono::Duration::hours(1)
            ),
            Verdict::Send
        );
        let mut resolved = open.clone();
        resolved.status = IncidentStatus::Resolved;
        assert_eq!(
            verdict(&resolved, "after", Some(&last), once, now),
            Verdict::Send
        );
        let mut worse = open.clone();
        worse.severity = Severity::Critical;
        assert_eq!(
            verdict(&worse, "after", Some(&last), hourly, now),
            Verdict::Send
        );
        assert_eq!(verdict(&open, "after", None, once, now), Verdict::Send);
        assert!(matches!(
            verdict(&resolved, "after", None, none, now),
            Verdict::Hold(_)
        ));
    }
}
