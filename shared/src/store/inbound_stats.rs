//! Per-integration inbound statistics: one item per integration and hour, counting what its
//! webhooks came to (`GET /v1/integrations/{id}/stats`). Kept 35 days.

use super::keys;
use super::table::{Keys, Store, StoreError};
use crate::domain::{IntegrationId, TenantId};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// What became of an inbound webhook, as counted.
pub const RESULTS: [&str; 6] = [
    "accepted",
    "duplicate",
    "replied",
    "refused_signature",
    "refused_invalid",
    "failed",
];

/// The counts of a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InboundStats {
    /// Every webhook counted.
    pub received: u64,
    /// By result (every name of [`RESULTS`]).
    pub by_result: BTreeMap<&'static str, u64>,
    /// When the last one arrived.
    pub last_received_at: Option<DateTime<Utc>>,
}

fn hour(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

impl Store {
    /// Counts one webhook of `integration` with `result` (one of [`RESULTS`]).
    pub async fn count_inbound_result(
        &self,
        tenant: &TenantId,
        integration: &IntegrationId,
        result: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let expires = (at + Duration::days(35)).timestamp();
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Keys::new(keys::inbound_stats(tenant, integration), hour(at)).key(),
            ))
            .update_expression(
                "ADD received :one, #result :one SET last_received_at = :at, expires_at = :expires",
            )
            .expression_attribute_names("#result", result)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":at", AttributeValue::S(keys::sort_time(at)))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .send()
            .await?;
        Ok(())
    }

    /// The counts of the hours from `since` to `until`, both included.
    pub async fn inbound_stats(
        &self,
        tenant: &TenantId,
        integration: &IntegrationId,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<InboundStats, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(keys::inbound_stats(tenant, integration)),
            )
            .expression_attribute_values(":from", AttributeValue::S(hour(since)))
            .expression_attribute_values(":to", AttributeValue::S(hour(until)))
            .consistent_read(true)
            .send()
            .await?;
        let number = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let mut stats = InboundStats {
            by_result: RESULTS.iter().map(|r| (*r, 0)).collect(),
            ..InboundStats::default()
        };
        for item in output.items() {
            stats.received += number(item, "received");
            for result in RESULTS {
                *stats.by_result.entry(result).or_default() += number(item, result);
            }
            let last = item
                .get("last_received_at")
                .and_then(|v| v.as_s().ok())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            stats.last_received_at = stats.last_received_at.max(last);
        }
        Ok(stats)
    }
}
