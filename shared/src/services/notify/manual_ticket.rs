//! `POST /v1/incidents/{id}/tickets`: open a ticket now through a ticket destination, or link a
//! ticket that already exists; and the tickets an incident has, for `GET /v1/incidents/{id}`.

use super::{notify, NotifyOutcome};
use crate::domain::notification::{Destination, LogEntry, Target, Ticket};
use crate::domain::{DomainEvent, EventType, Incident, IncidentId, IncidentStatus, TenantId};
use crate::notify::Notice;
use crate::queue::NotifyTask;
use crate::services::ServiceError;
use crate::store::{NotificationFilters, PageRequest, StoreError};
use crate::views::{event_data, IncidentView, TicketView};
use crate::AppState;

/// What a ticket request came to.
#[derive(Clone, Debug, PartialEq)]
pub enum ManualTicket {
    /// Opened now (or found, where an interrupted attempt had opened it).
    Opened(LogEntry),
    /// The existing ticket is linked.
    Linked(LogEntry),
    /// The incident already has a ticket there.
    AlreadyLinked(Ticket),
    /// Not possible as things are (why).
    Refused(String),
    /// The provider could not be reached or was busy: `notify` keeps trying (what it said).
    Queued(String),
    /// The provider refused it for good (what it said).
    Failed(String),
}

/// The tickets and pages `incident` has, one per destination.
pub async fn tickets_of(
    state: &AppState,
    tenant: &TenantId,
    incident: &IncidentId,
) -> Result<Vec<TicketView>, StoreError> {
    let mut tickets = Vec::new();
    for entry in state.store.log_entries_of(tenant, incident).await? {
        if entry.ticket.is_none() {
            continue;
        }
        let kind = super::cached_destination(state, tenant, &entry.destination_id)
            .await?
            .map_or("deleted", |d| d.target.kind().as_str());
        tickets.extend(TicketView::of(&entry, kind));
    }
    Ok(tickets)
}

/// The ticket `key` names at `destination`, normalised as the hub records it; `Err` says why
/// it is not one.
pub fn ticket_named(destination: &Destination, key: &str) -> Result<Ticket, String> {
    let key = key.trim();
    match &destination.target {
        Target::Jira(project) => {
            let valid = matches!(key.split_once('-'), Some((project, number))
                if project.starts_with(|c: char| c.is_ascii_uppercase())
                    && project.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()));
            if !valid {
                return Err(format!("`{key}` is not a Jira issue key (e.g. `OPS-123`)"));
            }
            Ok(Ticket {
                key: key.to_owned(),
                id: String::new(),
                url: Some(format!("{}/browse/{key}", project.site_url)),
            })
        }
        Target::Github(repository) => {
            let number = key
                .strip_prefix(&format!("{}#", repository.repository))
                .or_else(|| key.strip_prefix('#'))
                .unwrap_or(key);
            if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "`{key}` is not an issue of {} (e.g. `42` or `{}#42`)",
                    repository.repository, repository.repository
                ));
            }
            let url = (repository.api_url == "https://api.github.com").then(|| {
                format!(
                    "https://github.com/{}/issues/{number}",
                    repository.repository
                )
            });
            Ok(Ticket {
                key: format!("{}#{number}", repository.repository),
                id: number.to_owned(),
                url,
            })
        }
        Target::Pagerduty { .. } => {
            if key.is_empty() || key.len() > 255 || key.chars().any(char::is_whitespace) {
                return Err("a PagerDuty `dedup_key` is 1 to 255 characters without spaces".into());
            }
            Ok(Ticket {
                key: key.to_owned(),
                id: String::new(),
                url: None,
            })
        }
        _ => Err("the destination does not keep tickets (pagerduty, jira or github do)".into()),
    }
}

/// Links `ticket` to `incident` at `destination`, as if the hub had opened it showing the
/// incident as it is now (later news updates it).
pub async fn link_ticket(
    state: &AppState,
    incident: &Incident,
    destination: &Destination,
    ticket: Ticket,
) -> Result<ManualTicket, ServiceError> {
    let store = &state.store;
    let tenant = &incident.tenant_id;
    let entry = store
        .get_log_entry(tenant, &incident.id, &destination.id)
        .await?;
    if let Some(existing) = entry.as_ref().and_then(|e| e.ticket.clone()) {
        return Ok(ManualTicket::AlreadyLinked(existing));
    }
    let now = state.clock.now();
    let claim = crate::domain::NotificationId::generate().to_string();
    let seen = entry.as_ref().map_or(0, |e| e.version);
    match store
        .claim_log_entry(
            tenant,
            &incident.id,
            &destination.id,
            seen,
            &claim,
            now,
            now + chrono::Duration::seconds(60),
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict) => {
            return Ok(ManualTicket::Refused(
                "a message about this incident is being sent there right now: try again".into(),
            ))
        }
        Err(other) => return Err(other.into()),
    }
    let view = IncidentView::from(incident);
    let notice = Notice::new(view, None, state.config.public_url.as_deref());
    let linked = LogEntry {
        tenant_id: tenant.clone(),
        incident_id: incident.id.clone(),
        destination_id: destination.id.clone(),
        status: incident.status,
        severity: incident.severity,
        occurrences: incident.occurrences,
        content_hash: notice.content_hash(),
        incident_updated_at: incident.updated_at,
        remote: entry.as_ref().and_then(|e| e.remote.clone()),
        ticket: Some(ticket),
        sent_at: now,
        messages: entry.as_ref().map_or(0, |e| e.messages),
        version: seen + 1,
    };
    store.record_log_entry(&linked, &claim).await?;
    Ok(ManualTicket::Linked(linked))
}

/// Opens a ticket for `incident` at `destination` now, through the same path `notify` takes (the
/// claim, the recovery search, the ledger).
pub async fn open_ticket_now(
    state: &AppState,
    incident: &Incident,
    destination: &Destination,
) -> Result<ManualTicket, ServiceError> {
    let tenant = &incident.tenant_id;
    let entry = state
        .store
        .get_log_entry(tenant, &incident.id, &destination.id)
        .await?;
    if let Some(existing) = entry.and_then(|e| e.ticket) {
        return Ok(ManualTicket::AlreadyLinked(existing));
    }
    if incident.status == IncidentStatus::Resolved {
        return Ok(ManualTicket::Refused(
            "the incident is resolved: link an existing ticket instead".into(),
        ));
    }
    let now = state.clock.now();
    let event = DomainEvent::new(
        tenant.clone(),
        EventType::IncidentUpdated,
        event_data(&IncidentView::from(incident)),
        now,
    );
    let task = NotifyTask {
        tenant_id: tenant.clone(),
        event,
        destination_id: destination.id.clone(),
        rule_id: None,
        throttle: Default::default(),
        attempt: 1,
        flood_summary_of: None,
        released_from_window: false,
        by_hand: true,
    };
    let outcome = notify(state, &task).await?;
    let last_said = || async {
        let filters = NotificationFilters {
            incident_id: Some(incident.id.clone()),
            destination_id: Some(destination.id.clone()),
            status: None,
        };
        let page = PageRequest {
            limit: Some(1),
            cursor: None,
        };
        let records = state
            .store
            .list_notifications(tenant, &filters, &page)
            .await?;
        Ok::<_, ServiceError>(
            records
                .items
                .first()
                .map(|r| r.detail.clone())
                .unwrap_or_default(),
        )
    };
    Ok(match outcome {
        NotifyOutcome::Sent => match state
            .store
            .get_log_entry(tenant, &incident.id, &destination.id)
            .await?
        {
            Some(entry) if entry.ticket.is_some() => ManualTicket::Opened(entry),
            _ => ManualTicket::Queued("sent; its record is not readable yet".into()),
        },
        NotifyOutcome::Held(reason) => ManualTicket::Refused(reason),
        NotifyOutcome::Folded | NotifyOutcome::Later => ManualTicket::Queued(last_said().await?),
        NotifyOutcome::Failed => ManualTicket::Failed(last_said().await?),
    })
}
