use super::inbound::Receipt;
use super::keys;
use super::page::{Page, PageRequest};
use super::table::{to_item, Filter, Item, Keys, Query, Store, StoreError};
use crate::domain::{DomainEvent, Fingerprint, Incident, IncidentId, TenantId, TimelineEntry};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The fingerprint guard: which incident currently owns a fingerprint in a tenant. Creating an
/// incident puts the guard conditionally, so two concurrent first signals cannot both open one.
#[derive(Serialize, Deserialize)]
struct FingerprintGuard {
    incident_id: IncidentId,
}

/// One atomic incident write: the incident, its timeline line and the events it emits (and the
/// receipt of the inbound delivery that caused it, when one did).
#[derive(Debug)]
pub struct IncidentWrite<'a> {
    /// The incident as it should be stored.
    pub incident: &'a Incident,
    /// The timeline lines recording the change.
    pub timeline: &'a [TimelineEntry],
    /// The events to park in the outbox in the same transaction.
    pub events: &'a [DomainEvent],
    /// The receipt to write with it (`AlreadyReceived` instead of the write when its delivery
    /// was received before).
    pub receipt: Option<&'a Receipt>,
    /// The error event the signal carried, linked to the incident, stored with the change.
    pub error_event: Option<&'a crate::domain::ErrorEvent>,
}

fn incident_keys(tenant: &TenantId, id: &IncidentId) -> Keys {
    Keys::new(keys::incidents(tenant), id.to_string())
}

/// The stored item: the incident plus `title_search`, its title in lowercase, for
/// case-insensitive text filters.
fn incident_item(incident: &Incident) -> Result<Item, StoreError> {
    let mut item = to_item(&incident_keys(&incident.tenant_id, &incident.id), incident)?;
    item.insert(
        "title_search".into(),
        AttributeValue::S(incident.title.to_lowercase()),
    );
    Ok(item)
}

/// What `list_incidents_filtered` narrows a tenant's incidents to.
#[derive(Clone, Debug, Default)]
pub struct IncidentFilters {
    /// `open`, `acknowledged` or `resolved`.
    pub status: Option<String>,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: Option<String>,
    /// The source (`generic`, `github`, …).
    pub source: Option<String>,
    /// The project id.
    pub project_id: Option<String>,
    /// The service.
    pub service: Option<String>,
    /// `alert` (incidents) or `issue`.
    pub kind: Option<String>,
    /// Opened at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Opened at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Words the title contains (case-insensitive).
    pub text: Option<String>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

fn guard_keys(tenant: &TenantId, fp: &Fingerprint) -> Keys {
    Keys::new(keys::fingerprint_guard(tenant, fp), "FP")
}

impl Store {
    pub(crate) fn put_item(
        &self,
        item: Item,
        condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some((expression, values)) = condition {
            put = put.condition_expression(expression);
            for (name, value) in values {
                put = put.expression_attribute_values(name, value);
            }
        }
        let put = put.build().map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The put of timeline line `seq` (its position among the lines written together, which
    /// keeps lines of the same millisecond in the order they were made).
    pub(crate) fn timeline_put(
        &self,
        incident: &Incident,
        entry: &TimelineEntry,
        seq: usize,
    ) -> Result<TransactWriteItem, StoreError> {
        let sk = format!(
            "TL#{}#{seq:03}#{}",
            entry
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ulid::Ulid::new()
        );
        let keys = Keys::new(
            keys::incident_timeline(&incident.tenant_id, &incident.id),
            sk,
        );
        self.put_item(to_item(&keys, entry)?, None)
    }

    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await?;
        Ok(())
    }

    /// The incident that currently owns a fingerprint, if any.
    pub async fn find_incident_by_fingerprint(
        &self,
        tenant: &TenantId,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Incident>, StoreError> {
        let Some(guard) = self
            .get::<FingerprintGuard>(&guard_keys(tenant, fingerprint))
            .await?
        else {
            return Ok(None);
        };
        self.get_incident(tenant, &guard.incident_id).await
    }

    /// Opens a new incident and takes its fingerprint: from nobody (`replaces: None`) or from the
    /// closed incident `replaces`. `Conflict` when another writer got there first.
    pub async fn create_incident(
        &self,
        write: IncidentWrite<'_>,
        replaces: Option<&IncidentId>,
    ) -> Result<(), StoreError> {
        let incident = write.incident;
        let guard = to_item(
            &guard_keys(&incident.tenant_id, &incident.fingerprint),
            &FingerprintGuard {
                incident_id: incident.id.clone(),
            },
        )?;
        let guard_condition = match replaces {
            None => ("attribute_not_exists(pk)", vec![]),
            Some(previous) => (
                "incident_id = :previous",
                vec![(":previous", AttributeValue::S(previous.to_string()))],
            ),
        };
        let mut items = vec![
            self.put_item(guard, Some(guard_condition))?,
            self.put_item(
                incident_item(incident)?,
                Some(("attribute_not_exists(pk)", vec![])),
            )?,
        ];
        for (seq, entry) in write.timeline.iter().enumerate() {
            items.push(self.timeline_put(incident, entry, seq)?);
        }
        items.extend(self.outbox_put(write.events)?);
        if let Some(event) = write.error_event {
            items.push(self.error_event_put(&incident.tenant_id, event)?);
        }
        self.transact_receipted(write.receipt, items).await
    }

    /// Writes a changed incident, conditional on the version it was read at (`incident.version`
    /// minus one). `Conflict` when another writer changed it meanwhile.
    pub async fn update_incident(&self, write: IncidentWrite<'_>) -> Result<(), StoreError> {
        let incident = write.incident;
        let read_version = incident.version.saturating_sub(1);
        let mut items = vec![self.put_item(
            incident_item(incident)?,
            Some((
                "version = :read_version",
                vec![(":read_version", AttributeValue::N(read_version.to_string()))],
            )),
        )?];
        for (seq, entry) in write.timeline.iter().enumerate() {
            items.push(self.timeline_put(incident, entry, seq)?);
        }
        items.extend(self.outbox_put(write.events)?);
        if let Some(event) = write.error_event {
            items.push(self.error_event_put(&incident.tenant_id, event)?);
        }
        self.transact_receipted(write.receipt, items).await
    }

    /// A tenant's incident.
    pub async fn get_incident(
        &self,
        tenant: &TenantId,
        id: &IncidentId,
    ) -> Result<Option<Incident>, StoreError> {
        self.get(&incident_keys(tenant, id)).await
    }

    /// A tenant's incidents, newest first.
    pub async fn list_incidents(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Incident>, StoreError> {
        let query = Query {
            newest_first: true,
            ..Query::partition(keys::incidents(tenant))
        };
        self.query_page(query, page).await
    }

    /// A tenant's incidents and issues matching `filters`, newest first unless asked otherwise.
    pub async fn list_incidents_filtered(
        &self,
        tenant: &TenantId,
        filters: &IncidentFilters,
        page: &PageRequest,
    ) -> Result<Page<Incident>, StoreError> {
        let mut filter = Filter::default();
        for (attribute, value) in [
            ("status", &filters.status),
            ("severity", &filters.severity),
            ("source", &filters.source),
            ("project_id", &filters.project_id),
            ("service", &filters.service),
            ("kind", &filters.kind),
        ] {
            if let Some(value) = value {
                filter = filter.equals(attribute, value);
            }
        }
        if let Some(text) = &filters.text {
            for word in text.split_whitespace() {
                filter = filter.any_contains(&["title_search"], &word.to_lowercase());
            }
        }
        let query = Query {
            newest_first: !filters.oldest_first,
            sort_from: filters
                .since
                .map(|at| keys::id_bound(IncidentId::PREFIX, at, false)),
            sort_to: filters
                .until
                .map(|at| keys::id_bound(IncidentId::PREFIX, at, true)),
            filter: Some(filter),
            ..Query::partition(keys::incidents(tenant))
        };
        self.query_page(query, page).await
    }

    /// Writes incidents as they are, in batches, without fingerprint guards, timelines or events:
    /// for importing history (and seeding benchmarks), never for live signals.
    pub async fn import_incidents(&self, incidents: &[Incident]) -> Result<(), StoreError> {
        let items = incidents
            .iter()
            .map(incident_item)
            .collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    /// An incident's timeline, oldest first.
    pub async fn incident_timeline(
        &self,
        tenant: &TenantId,
        id: &IncidentId,
        page: &PageRequest,
    ) -> Result<Page<TimelineEntry>, StoreError> {
        let query = Query {
            sort_prefix: Some("TL#".into()),
            ..Query::partition(keys::incident_timeline(tenant, id))
        };
        self.query_page(query, page).await
    }
}
