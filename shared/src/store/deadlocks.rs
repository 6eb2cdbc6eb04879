//! Deadlock groups (one item each under the tenant: what the last report said) and their
//! occurrences (one item per report, kept 90 days, counted when a group is read).

use super::keys;
use super::table::{to_item, Keys, Query, Store, StoreError};
use crate::domain::deadlock::{DeadlockGroup, DeadlockOccurrence};
use crate::domain::TenantId;
use aws_sdk_dynamodb::types::AttributeValue;

/// How long an occurrence is kept.
pub const OCCURRENCE_DAYS: i64 = 90;

fn group_keys(tenant: &TenantId, id: &str) -> Keys {
    Keys::new(keys::deadlocks(tenant), format!("GROUP#{id}"))
}

impl Store {
    /// Records `occurrence` of `group`: the occurrence item, then the group's latest report.
    pub async fn record_deadlock(
        &self,
        group: &DeadlockGroup,
        occurrence: &DeadlockOccurrence,
    ) -> Result<(), StoreError> {
        let sk = format!(
            "{}#{}",
            keys::sort_time(occurrence.at),
            occurrence.incident_id
        );
        let mut item = to_item(
            &Keys::new(keys::deadlock_occurrences(&group.tenant_id, &group.id), sk),
            occurrence,
        )?;
        let expires = occurrence.at + chrono::Duration::days(OCCURRENCE_DAYS);
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires.timestamp().to_string()),
        );
        self.put(item).await?;
        // The group item holds what the last report said; its count and first report are read
        // from the occurrences (so ingesting needs no more than `PutItem`).
        self.put(to_item(&group_keys(&group.tenant_id, &group.id), group)?)
            .await
    }

    /// How many reports a group has (in the last 90 days) and when the first of them was.
    async fn occurrence_tally(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<(u64, Option<chrono::DateTime<chrono::Utc>>), StoreError> {
        let partition = AttributeValue::S(keys::deadlock_occurrences(tenant, id));
        let mut count = 0u64;
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", partition.clone())
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            count += u64::try_from(page.count).unwrap_or(0);
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let oldest: Vec<DeadlockOccurrence> = self
            .query_page(
                Query::partition(keys::deadlock_occurrences(tenant, id)),
                &super::PageRequest {
                    limit: Some(1),
                    cursor: None,
                },
            )
            .await?
            .items;
        Ok((count, oldest.first().map(|o| o.at)))
    }

    /// `group` with its count and first report filled in from its occurrences.
    async fn tallied(&self, mut group: DeadlockGroup) -> Result<DeadlockGroup, StoreError> {
        let (count, first) = self.occurrence_tally(&group.tenant_id, &group.id).await?;
        group.count = count;
        if let Some(first) = first {
            group.first_seen_at = first;
        }
        Ok(group)
    }

    /// A tenant's deadlock groups (at most 1,000).
    pub async fn deadlock_groups(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<DeadlockGroup>, StoreError> {
        let query = Query {
            sort_prefix: Some("GROUP#".into()),
            ..Query::partition(keys::deadlocks(tenant))
        };
        let groups: Vec<DeadlockGroup> = self.query_every(query, 1_000).await?;
        let mut tallied = Vec::with_capacity(groups.len());
        for group in groups {
            tallied.push(self.tallied(group).await?);
        }
        Ok(tallied)
    }

    /// A tenant's deadlock group.
    pub async fn deadlock_group(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<DeadlockGroup>, StoreError> {
        match self.get(&group_keys(tenant, id)).await? {
            Some(group) => Ok(Some(self.tallied(group).await?)),
            None => Ok(None),
        }
    }

    /// A group's occurrences, newest first, at most `cap`.
    pub async fn deadlock_occurrences(
        &self,
        tenant: &TenantId,
        id: &str,
        cap: usize,
    ) -> Result<Vec<DeadlockOccurrence>, StoreError> {
        let query = Query {
            newest_first: true,
            ..Query::partition(keys::deadlock_occurrences(tenant, id))
        };
        self.query_every(query, cap).await
    }
}
