//! An incident with a ticket or page the hub opened for it: a destination of that kind and the
//! notification log entry that links them (as `POST /v1/incidents/{id}/tickets` links one).

use super::TestStack;
use faultline::domain::notification::ticket::{GithubRepository, JiraProject};
use faultline::domain::notification::{Destination, DestinationKind, Target, Ticket};
use faultline::domain::{DestinationId, Incident, Severity, SignalKind, TenantId};
use faultline::secrets::SealedSecret;
use faultline::services::notify::{link_ticket, ManualTicket};

/// A ticket target of `kind` (project `OPS` on a Jira Cloud site, repository `acme/api`, or a
/// PagerDuty service), its provider at `base` (`None`: the provider's own URL), its `token` sealed.
pub fn ticket_target(kind: DestinationKind, base: Option<&str>, token: SealedSecret) -> Target {
    match kind {
        DestinationKind::Jira => Target::Jira(JiraProject {
            site_url: base.unwrap_or("https://acme.atlassian.net").into(),
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
            api_url: base.unwrap_or("https://api.github.com").into(),
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
    }
}

impl TestStack {
    /// A new open, critical incident of `tenant` with ticket `key` at a new `kind` destination.
    pub async fn incident_with_ticket(
        &self,
        tenant: &TenantId,
        kind: DestinationKind,
        key: &str,
    ) -> (Incident, Destination) {
        let incident = self
            .stored_incident(
                tenant,
                "Checkout API 5xx above 5%",
                Severity::Critical,
                SignalKind::Alert,
            )
            .await;
        let destination = self.linked_ticket(&incident, kind, key).await;
        (incident, destination)
    }

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
        let target = ticket_target(kind, None, token);
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
        let ticket = Ticket {
            key: key.into(),
            id: String::new(),
            url: None,
        };
        let linked = link_ticket(&self.harness, incident, &destination, ticket)
            .await
            .expect("linked");
        assert!(matches!(linked, ManualTicket::Linked(_)), "{linked:?}");
        destination
    }
}
