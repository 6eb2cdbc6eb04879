//! An incident with a ticket or page the hub opened for it: a destination of that kind and the
//! notification log entry that links them, as `notify` leaves them after opening it.

use super::TestStack;
use faultline::domain::notification::ticket::{GithubRepository, JiraProject};
use faultline::domain::notification::{Destination, DestinationKind, LogEntry, Target, Ticket};
use faultline::domain::{DestinationId, Incident};

impl TestStack {
    /// A `kind` destination of the incident's tenant holding ticket `key` for it.
    pub async fn linked_ticket(
        &self,
        incident: &Incident,
        kind: DestinationKind,
        key: &str,
    ) -> Destination {
        let tenant = &incident.tenant_id;
        let id = DestinationId::generate();
        let cipher = self.harness.cipher().await.expect("data key");
        let context = Destination::secret_context_for(tenant, &id);
        let token = cipher.seal("a-token-for-the-provider", &context);
        let target = match kind {
            DestinationKind::Jira => Target::Jira(JiraProject {
                site_url: "https://acme.atlassian.net".into(),
                deployment: Default::default(),
                email: Some("oncall@example.com".into()),
                token,
                masked: "a-tok****".into(),
                project_key: "OPS".into(),
                issue_type: "Bug".into(),
                component: None,
                labels: Vec::new(),
                priorities: Default::default(),
                resolve_transition: "Done".into(),
                reopen_transition: "Reopen".into(),
                on_regression: Default::default(),
            }),
            DestinationKind::Github => Target::Github(GithubRepository {
                api_url: "https://api.github.com".into(),
                repository: "acme/api".into(),
                token,
                masked: "a-tok****".into(),
                labels: Vec::new(),
                assignees: Vec::new(),
            }),
            _ => Target::Pagerduty {
                routing_key: token,
                masked: "a-to****".into(),
            },
        };
        let now = self.harness.clock.now();
        let destination = Destination {
            id,
            tenant_id: tenant.clone(),
            name: format!("{} tickets", kind.as_str()),
            target,
            enabled: true,
            created_at: now,
            updated_at: now,
        };
        let store = &self.harness.store;
        store
            .create_destination(&destination)
            .await
            .expect("destination stored");
        let claim = "claim-of-the-test";
        store
            .claim_log_entry(tenant, &incident.id, &destination.id, 0, claim, now, now)
            .await
            .expect("claimed");
        let entry = LogEntry {
            tenant_id: tenant.clone(),
            incident_id: incident.id.clone(),
            destination_id: destination.id.clone(),
            status: incident.status,
            severity: incident.severity,
            occurrences: incident.occurrences,
            content_hash: "opened".into(),
            incident_updated_at: incident.updated_at,
            remote: None,
            ticket: Some(Ticket {
                key: key.into(),
                id: String::new(),
                url: None,
            }),
            sent_at: now,
            messages: 1,
            version: 1,
        };
        store.record_log_entry(&entry, claim).await.expect("logged");
        destination
    }
}
