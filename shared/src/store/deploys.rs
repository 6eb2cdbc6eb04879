use super::keys;
use super::table::{from_item, to_item, Keys, Store, StoreError};
use crate::domain::{DeployRecord, DomainEvent, Incident, IncidentStatus, TenantId, TimelineEntry};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

impl Store {
    /// Adds a change to the tenant's change log with its events, atomically.
    pub async fn record_change(
        &self,
        change: &DeployRecord,
        events: &[DomainEvent],
    ) -> Result<(), StoreError> {
        let keys = Keys::new(
            keys::changes(&change.tenant_id),
            format!("{}#{}", keys::sort_time(change.merged_at), change.id),
        );
        let mut items = vec![self.put_item(
            to_item(&keys, change)?,
            Some(("attribute_not_exists(pk)", vec![])),
        )?];
        items.extend(self.outbox_put(events)?);
        self.transact(items).await
    }

    /// Changes merged in `[from, to]`, oldest first.
    pub async fn deploys_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DeployRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(keys::changes(tenant)))
            .expression_attribute_values(":from", AttributeValue::S(keys::sort_time(from)))
            .expression_attribute_values(
                ":to",
                AttributeValue::S(format!("{}~", keys::sort_time(to))),
            )
            .limit(200)
            .send()
            .await?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Changes merged in `[from, to]`, oldest first, at most about `cap` (a report's).
    pub async fn changes_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cap: usize,
    ) -> Result<Vec<DeployRecord>, StoreError> {
        let query = super::table::Query {
            sort_from: Some(keys::sort_time(from)),
            sort_to: Some(format!("{}~", keys::sort_time(to))),
            ..super::table::Query::partition(keys::changes(tenant))
        };
        self.query_every(query, cap).await
    }

    /// The tenant's incidents that are not resolved, among the 200 newest, in a project scope
    /// (`None`: incidents of integrations without a project).
    pub async fn open_incidents_in_scope(
        &self,
        tenant: &TenantId,
        project_id: Option<&str>,
    ) -> Result<Vec<Incident>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(keys::incidents(tenant)))
            .scan_index_forward(false)
            .limit(200)
            .send()
            .await?;
        let incidents: Vec<Incident> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(incidents
            .into_iter()
            .filter(|i| {
                i.status != IncidentStatus::Resolved && i.project_id.as_deref() == project_id
            })
            .collect())
    }

    /// Adds a timeline line to an incident without changing it, with its events.
    pub async fn add_timeline_entry(
        &self,
        incident: &Incident,
        entry: &TimelineEntry,
        events: &[DomainEvent],
    ) -> Result<(), StoreError> {
        let mut items = vec![self.timeline_put(incident, entry, 0)?];
        items.extend(self.outbox_put(events)?);
        self.transact(items).await
    }
}
