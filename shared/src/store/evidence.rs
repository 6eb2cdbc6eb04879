//! Evidence: sample log lines kept on an issue, newest first, each for 30 days.

use super::keys;
use super::table::{to_item, Keys, Query, Store, StoreError};
use super::{Page, PageRequest};
use crate::domain::log_source::EvidenceLine;
use crate::domain::{IncidentId, TenantId};
use aws_sdk_dynamodb::types::AttributeValue;

/// How long a sample is kept.
pub const EVIDENCE_DAYS: i64 = 30;

impl Store {
    /// Keeps `lines` on the issue (writing one again changes nothing).
    pub async fn put_evidence(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
        lines: &[EvidenceLine],
    ) -> Result<(), StoreError> {
        let mut items = Vec::new();
        for line in lines {
            let sk = format!(
                "{}#{}",
                keys::sort_time(line.at),
                line.event_id.as_deref().unwrap_or_default()
            );
            let mut item = to_item(&Keys::new(keys::evidence(tenant, incident), sk), line)?;
            let expires = line.at + chrono::Duration::days(EVIDENCE_DAYS);
            item.insert(
                "expires_at".into(),
                AttributeValue::N(expires.timestamp().to_string()),
            );
            items.push(item);
        }
        self.put_batch(items).await
    }

    /// A page of an issue's evidence, newest first.
    pub async fn list_evidence(
        &self,
        tenant: &TenantId,
        incident: &IncidentId,
        page: &PageRequest,
    ) -> Result<Page<EvidenceLine>, StoreError> {
        let query = Query {
            newest_first: true,
            ..Query::partition(keys::evidence(tenant, incident))
        };
        self.query_page(query, page).await
    }
}
