//! Destinations, notification rules, the notification log and the notification ledger.

use super::keys;
use super::page::{Page, PageRequest};
use super::table::{from_item, to_item, Filter, Keys, Query, Store, StoreError};
use crate::domain::notification::{
    Destination, LogEntry, MaintenanceWindow, NotificationRecord, NotificationRule,
};
use crate::domain::{DestinationId, IncidentId, MaintenanceWindowId, NotificationRuleId, TenantId};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

fn destination_keys(tenant: &TenantId, id: &DestinationId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::destination_sk(id))
}

fn rule_keys(tenant: &TenantId, id: &NotificationRuleId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::notification_rule_sk(id))
}

fn log_keys(tenant: &TenantId, incident: &IncidentId, destination: &DestinationId) -> Keys {
    Keys::new(
        keys::notification_log(tenant, incident),
        keys::destination_sk(destination),
    )
}

/// Filters of the notification ledger.
#[derive(Clone, Debug, Default)]
pub struct NotificationFilters {
    /// About this incident.
    pub incident_id: Option<IncidentId>,
    /// At this destination.
    pub destination_id: Option<DestinationId>,
    /// With this status (`sent`, `failed`, …).
    pub status: Option<String>,
}

impl Store {
    /// Stores a new destination.
    pub async fn create_destination(&self, destination: &Destination) -> Result<(), StoreError> {
        let keys = destination_keys(&destination.tenant_id, &destination.id);
        self.put_new(to_item(&keys, destination)?).await
    }

    /// Replaces an existing destination; `Conflict` if it was deleted meanwhile.
    pub async fn update_destination(&self, destination: &Destination) -> Result<(), StoreError> {
        let keys = destination_keys(&destination.tenant_id, &destination.id);
        self.put_existing(to_item(&keys, destination)?).await
    }

    /// A tenant's destination.
    pub async fn get_destination(
        &self,
        tenant: &TenantId,
        id: &DestinationId,
    ) -> Result<Option<Destination>, StoreError> {
        self.get(&destination_keys(tenant, id)).await
    }

    /// Deletes a destination; `Ok(false)` when there was none.
    pub async fn delete_destination(
        &self,
        tenant: &TenantId,
        id: &DestinationId,
    ) -> Result<bool, StoreError> {
        self.delete_existing(&destination_keys(tenant, id)).await
    }

    /// One page of a tenant's destinations.
    pub async fn list_destinations(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Destination>, StoreError> {
        let query = Query {
            sort_prefix: Some(keys::DESTINATION_PREFIX.to_owned()),
            ..Query::partition(keys::tenant(tenant))
        };
        self.query_page(query, page).await
    }

    /// Stores a new rule.
    pub async fn create_notification_rule(
        &self,
        rule: &NotificationRule,
    ) -> Result<(), StoreError> {
        self.put_new(to_item(&rule_keys(&rule.tenant_id, &rule.id), rule)?)
            .await
    }

    /// Replaces an existing rule; `Conflict` if it was deleted meanwhile.
    pub async fn update_notification_rule(
        &self,
        rule: &NotificationRule,
    ) -> Result<(), StoreError> {
        self.put_existing(to_item(&rule_keys(&rule.tenant_id, &rule.id), rule)?)
            .await
    }

    /// A tenant's rule.
    pub async fn get_notification_rule(
        &self,
        tenant: &TenantId,
        id: &NotificationRuleId,
    ) -> Result<Option<NotificationRule>, StoreError> {
        self.get(&rule_keys(tenant, id)).await
    }

    /// Deletes a rule; `Ok(false)` when there was none.
    pub async fn delete_notification_rule(
        &self,
        tenant: &TenantId,
        id: &NotificationRuleId,
    ) -> Result<bool, StoreError> {
        self.delete_existing(&rule_keys(tenant, id)).await
    }

    /// Every rule of a tenant, in no particular order (routing sorts them).
    pub async fn all_notification_rules(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<NotificationRule>, StoreError> {
        self.query_all(keys::tenant(tenant), keys::NOTIFICATION_RULE_PREFIX)
            .await
    }

    /// What `destination` was last told about `incident`; `None` when nothing was sent yet — also
    /// while the first message is being sent: its sender's claim is then the whole item.
    pub async fn get_log_entry(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
        destination: &DestinationId,
    ) -> Result<Option<LogEntry>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(log_keys(tenant, incident, destination).key()))
            .consistent_read(true)
            .send()
            .await?;
        output
            .item
            .filter(|item| item.contains_key("version"))
            .map(from_item)
            .transpose()
    }

    /// Everything the tenant's destinations were told about `incident`.
    pub async fn log_entries_of(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
    ) -> Result<Vec<LogEntry>, StoreError> {
        // A first message still being sent is only its sender's claim: not an entry yet.
        let query = Query {
            filter: Some(Filter::default().exists("version")),
            ..Query::partition(keys::notification_log(tenant, incident))
        };
        self.query_every(query, usize::MAX).await
    }

    /// Claims the right to send the next message about `incident` to `destination` until
    /// `until`: only if the log is still at `seen_version` (0: no entry yet) and no other claim
    /// is live at `now`. `Conflict` when another sender holds it or the log moved on.
    ///
    /// Answers whether an earlier attempt may have reached the provider without recording what
    /// it made: its claim lapsed (the sender died between sending and recording), or it failed
    /// without a clear answer. A ticket sender then looks for the ticket before creating one.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim_log_entry(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
        destination: &DestinationId,
        seen_version: u64,
        claim_id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let version_holds = if seen_version == 0 {
            "attribute_not_exists(version)"
        } else {
            "version = :seen"
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(log_keys(tenant, incident, destination).key()))
            .update_expression("SET claim_id = :claim, claim_until = :until")
            .condition_expression(format!(
                "{version_holds} AND (attribute_not_exists(claim_until) OR claim_until < :now)"
            ))
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .expression_attribute_values(":until", AttributeValue::N(until.timestamp().to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld);
        if seen_version != 0 {
            request = request
                .expression_attribute_values(":seen", AttributeValue::N(seen_version.to_string()));
        }
        let old = request.send().await?.attributes.unwrap_or_default();
        Ok(old.contains_key("claim_id") || old.contains_key("unsure"))
    }

    /// Replaces the log entry with `entry` (what was just sent), releasing claim `claim_id`;
    /// `Conflict` if the claim had lapsed and another sender took over.
    pub async fn record_log_entry(
        &self,
        entry: &LogEntry,
        claim_id: &str,
    ) -> Result<(), StoreError> {
        let keys = log_keys(&entry.tenant_id, &entry.incident_id, &entry.destination_id);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, entry)?))
            .condition_expression("claim_id = :claim")
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .send()
            .await?;
        Ok(())
    }

    /// Releases claim `claim_id` without recording a message (nothing was sent, or the send
    /// failed); `unsure` when the provider may have acted anyway (no answer, a 5xx), so the next
    /// claimant looks before creating. A lapsed claim is left alone.
    pub async fn release_log_claim(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
        destination: &DestinationId,
        claim_id: &str,
        unsure: bool,
    ) -> Result<(), StoreError> {
        let update = if unsure {
            "REMOVE claim_id, claim_until SET unsure = :unsure"
        } else {
            "REMOVE claim_id, claim_until"
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(log_keys(tenant, incident, destination).key()))
            .update_expression(update);
        if unsure {
            request = request.expression_attribute_values(":unsure", AttributeValue::Bool(true));
        }
        let result = request
            .condition_expression("claim_id = :claim")
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        match result {
            Err(StoreError::Conflict) => Ok(()),
            other => other,
        }
    }

    /// Appends one attempt to the notification ledger (kept for
    /// [`NotificationRecord::RETENTION`]).
    pub async fn record_notification(&self, record: &NotificationRecord) -> Result<(), StoreError> {
        let keys = Keys::new(
            keys::notifications(&record.tenant_id),
            record.id.to_string(),
        );
        let mut item = to_item(&keys, record)?;
        let expires = record.created_at + NotificationRecord::RETENTION;
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires.timestamp().to_string()),
        );
        self.put(item).await
    }

    /// One page of the notification ledger, newest first.
    pub async fn list_notifications(
        &self,
        tenant: &TenantId,
        filters: &NotificationFilters,
        page: &PageRequest,
    ) -> Result<Page<NotificationRecord>, StoreError> {
        let mut filter = Filter::default();
        if let Some(incident) = &filters.incident_id {
            filter = filter.equals("incident_id", incident.as_str());
        }
        if let Some(destination) = &filters.destination_id {
            filter = filter.equals("destination_id", destination.as_str());
        }
        if let Some(status) = &filters.status {
            filter = filter.equals("status", status);
        }
        let query = Query {
            newest_first: true,
            filter: Some(filter),
            ..Query::partition(keys::notifications(tenant))
        };
        self.query_page(query, page).await
    }

    /// The notification attempts made in `[from, to]`, oldest first, at most about `cap`.
    pub async fn notifications_between(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cap: usize,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let query = Query {
            sort_from: Some(keys::id_bound(
                crate::domain::NotificationId::PREFIX,
                from,
                false,
            )),
            sort_to: Some(keys::id_bound(
                crate::domain::NotificationId::PREFIX,
                to,
                true,
            )),
            ..Query::partition(keys::notifications(tenant))
        };
        self.query_every(query, cap).await
    }

    /// Stores a new maintenance window.
    pub async fn create_maintenance_window(
        &self,
        window: &MaintenanceWindow,
    ) -> Result<(), StoreError> {
        self.put_new(to_item(
            &window_keys(&window.tenant_id, &window.id),
            window,
        )?)
        .await
    }

    /// Replaces an existing maintenance window; `Conflict` if it was deleted meanwhile.
    pub async fn update_maintenance_window(
        &self,
        window: &MaintenanceWindow,
    ) -> Result<(), StoreError> {
        self.put_existing(to_item(
            &window_keys(&window.tenant_id, &window.id),
            window,
        )?)
        .await
    }

    /// A tenant's maintenance window.
    pub async fn get_maintenance_window(
        &self,
        tenant: &TenantId,
        id: &MaintenanceWindowId,
    ) -> Result<Option<MaintenanceWindow>, StoreError> {
        self.get(&window_keys(tenant, id)).await
    }

    /// Deletes a maintenance window; `Ok(false)` when there was none.
    pub async fn delete_maintenance_window(
        &self,
        tenant: &TenantId,
        id: &MaintenanceWindowId,
    ) -> Result<bool, StoreError> {
        self.delete_existing(&window_keys(tenant, id)).await
    }

    /// Every maintenance window of a tenant.
    pub async fn all_maintenance_windows(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        self.query_all(keys::tenant(tenant), keys::MAINTENANCE_WINDOW_PREFIX)
            .await
    }
}

fn window_keys(tenant: &TenantId, id: &MaintenanceWindowId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::maintenance_window_sk(id))
}
