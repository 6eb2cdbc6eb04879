//! Scheduled exports, one item each under the tenant; an enabled one is also in the due-time
//! index (`gsi1` `JOBS#EXPORT-SCHEDULE`, sorted by its next run), so the job reads only the
//! schedules due.

use super::keys;
use super::table::{to_item, Item, Keys, Query, Store, StoreError};
use super::{Page, PageRequest};
use crate::domain::{ExportSchedule, ExportScheduleId, TenantId};
use chrono::{DateTime, Utc};

fn schedule_keys(tenant: &TenantId, id: &ExportScheduleId) -> Keys {
    Keys::new(keys::export_schedules(tenant), keys::export_schedule_sk(id))
}

fn schedule_item(schedule: &ExportSchedule) -> Result<Item, StoreError> {
    let mut keys = schedule_keys(&schedule.tenant_id, &schedule.id);
    if let (true, Some(next)) = (schedule.enabled, schedule.next_run_at) {
        keys = keys.with_gsi1(
            keys::EXPORT_SCHEDULE_JOBS.to_owned(),
            format!(
                "{}#{}",
                keys::sort_time(next),
                keys::job_sk(&schedule.tenant_id, &schedule.id)
            ),
        );
    }
    to_item(&keys, schedule)
}

impl Store {
    /// Stores a new scheduled export.
    pub async fn create_export_schedule(
        &self,
        schedule: &ExportSchedule,
    ) -> Result<(), StoreError> {
        self.put_new(schedule_item(schedule)?).await
    }

    /// Replaces an existing scheduled export (`Conflict` when it is gone).
    pub async fn update_export_schedule(
        &self,
        schedule: &ExportSchedule,
    ) -> Result<(), StoreError> {
        self.put_existing(schedule_item(schedule)?).await
    }

    /// Saves a scheduled export as it is now (a run's outcome).
    pub async fn put_export_schedule(&self, schedule: &ExportSchedule) -> Result<(), StoreError> {
        self.put(schedule_item(schedule)?).await
    }

    /// Deletes a scheduled export; false when there was none.
    pub async fn delete_export_schedule(
        &self,
        tenant: &TenantId,
        id: &ExportScheduleId,
    ) -> Result<bool, StoreError> {
        self.delete_existing(&schedule_keys(tenant, id)).await
    }

    /// A tenant's scheduled export.
    pub async fn get_export_schedule(
        &self,
        tenant: &TenantId,
        id: &ExportScheduleId,
    ) -> Result<Option<ExportSchedule>, StoreError> {
        self.get(&schedule_keys(tenant, id)).await
    }

    /// A page of a tenant's scheduled exports, oldest first.
    pub async fn list_export_schedules(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<ExportSchedule>, StoreError> {
        let query = Query {
            sort_prefix: Some("SCHEDULE#".into()),
            ..Query::partition(keys::export_schedules(tenant))
        };
        self.query_page(query, page).await
    }

    /// Schedules of every tenant due at `now`, most overdue first, at most about `cap`.
    pub async fn due_export_schedules(
        &self,
        now: DateTime<Utc>,
        cap: usize,
    ) -> Result<Vec<ExportSchedule>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            sort_to: Some(format!("{}~", keys::sort_time(now))),
            ..Query::partition(keys::EXPORT_SCHEDULE_JOBS.to_owned())
        };
        self.query_every(query, cap).await
    }

    /// Moves `schedule` on to its next run, only if no other run claimed it first (its next run
    /// is still `claimed`): true when this run has it.
    pub async fn claim_export_schedule(
        &self,
        schedule: &ExportSchedule,
        claimed: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(schedule_item(schedule)?))
            .condition_expression("next_run_at = :claimed")
            .expression_attribute_values(":claimed", serde_dynamo::to_attribute_value(claimed)?)
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        super::table::existed(result)
    }
}
