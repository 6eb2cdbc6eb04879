use super::keys;
use super::page::{Page, PageRequest};
use super::table::{existed, to_item, Keys, Query, Store, StoreError};
use crate::domain::{Endpoint, EndpointId, TenantId};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

pub(super) fn endpoint_keys(tenant: &TenantId, id: &EndpointId) -> Keys {
    Keys::new(keys::tenant(tenant), keys::endpoint_sk(id))
}

impl Store {
    /// Stores a new endpoint.
    pub async fn create_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = to_item(&endpoint_keys(&endpoint.tenant_id, &endpoint.id), endpoint)?;
        self.put_new(item).await
    }

    /// Replaces an existing endpoint; `Conflict` if it was deleted meanwhile.
    pub async fn update_endpoint(&self, endpoint: &Endpoint) -> Result<(), StoreError> {
        let item = to_item(&endpoint_keys(&endpoint.tenant_id, &endpoint.id), endpoint)?;
        self.put_existing(item).await
    }

    /// A tenant's endpoint.
    pub async fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<Option<Endpoint>, StoreError> {
        self.get(&endpoint_keys(tenant, id)).await
    }

    /// Deletes a tenant's endpoint; `Ok(false)` when there was none.
    pub async fn delete_endpoint(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<bool, StoreError> {
        self.delete_existing(&endpoint_keys(tenant, id)).await
    }

    /// One page of a tenant's endpoints.
    pub async fn list_endpoints(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Endpoint>, StoreError> {
        let query = Query {
            sort_prefix: Some(keys::ENDPOINT_PREFIX.to_owned()),
            ..Query::partition(keys::tenant(tenant))
        };
        self.query_page(query, page).await
    }

    /// Every endpoint of a tenant (fan-out reads them all).
    pub async fn all_endpoints(&self, tenant: &TenantId) -> Result<Vec<Endpoint>, StoreError> {
        self.query_all(keys::tenant(tenant), keys::ENDPOINT_PREFIX)
            .await
    }
}

/// What recording a delivery outcome did to the endpoint's health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// Nothing worth telling anyone.
    None,
    /// This failure disabled the endpoint (it was enabled until now).
    Disabled(String),
    /// This success ended a failing streak.
    Recovered,
}

impl Store {
    /// Records a failed delivery: starts the failing streak if none is running, and disables the
    /// endpoint when `disable_now` says so or the streak is older than `disable_after`. Only the
    /// write that flips `enabled` reports `Disabled`, so the event is emitted once.
    pub async fn record_endpoint_failure(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        now: DateTime<Utc>,
        disable_after: chrono::Duration,
        disable_now: Option<&str>,
    ) -> Result<HealthChange, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(endpoint_keys(tenant, id).key()))
            .update_expression("SET failing_since = if_not_exists(failing_since, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::from);
        let attributes = match output {
            Ok(output) => output.attributes.unwrap_or_default(),
            Err(StoreError::Conflict) => return Ok(HealthChange::None),
            Err(other) => return Err(other),
        };
        let since = attributes
            .get("failing_since")
            .and_then(|v| v.as_s().ok())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let reason = match disable_now {
            Some(reason) => reason.to_owned(),
            None if now - since >= disable_after => format!(
                "every delivery failed since {} ({} h)",
                since.to_rfc3339(),
                (now - since).num_hours()
            ),
            None => return Ok(HealthChange::None),
        };
        let flipped = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(endpoint_keys(tenant, id).key()))
            .update_expression("SET enabled = :false, disabled_reason = :reason")
            .condition_expression("enabled = :true")
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":reason", AttributeValue::S(reason.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        Ok(if existed(flipped)? {
            HealthChange::Disabled(reason)
        } else {
            HealthChange::None
        })
    }

    /// Records a successful delivery: ends a failing streak if one was running.
    pub async fn record_endpoint_success(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<HealthChange, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(endpoint_keys(tenant, id).key()))
            .update_expression("REMOVE failing_since")
            .condition_expression("attribute_exists(failing_since)")
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        Ok(if existed(result)? {
            HealthChange::Recovered
        } else {
            HealthChange::None
        })
    }

    /// Parks events in the outbox (for events not tied to another write).
    pub async fn park_events(
        &self,
        events: &[crate::domain::DomainEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let items = self.outbox_put(events)?.into_iter().collect();
        self.transact(items).await
    }
}

impl Store {
    /// Takes one of an endpoint's `limit` sends for the second of `now`; `false` when that second
    /// is full. One counter item per second, incremented conditionally, so concurrent dispatchers
    /// share the limit exactly; items carry an expiry (TTL housekeeping only).
    pub async fn take_send_slot(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let second = now.timestamp();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(
                Keys::new(keys::endpoint_rate(tenant, id), second.to_string()).key(),
            ))
            .update_expression("ADD sent :one SET expires_at = :expires")
            .condition_expression("attribute_not_exists(sent) OR sent < :limit")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N((second + 3600).to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        existed(result)
    }
}
