use super::keys;
use super::page::{Page, PageRequest};
use super::table::{from_item, to_item, Filter, Keys, Query, Store, StoreError};
use crate::domain::{
    Attempt, AttemptOutcome, DeliveryStatus, Endpoint, EndpointId, EventType, Message, MessageId,
    TenantId,
};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where the delivery of a message to one endpoint stands (one item per message and endpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Which message.
    pub message_id: MessageId,
    /// Which endpoint.
    pub endpoint_id: EndpointId,
    /// Pending, succeeded, failed or exhausted.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When this record last changed.
    pub updated_at: DateTime<Utc>,
}

/// What `list_messages_filtered` narrows the ledger to.
#[derive(Clone, Debug, Default)]
pub struct MessageFilters {
    /// Only this event type.
    pub event_type: Option<EventType>,
    /// Only messages created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only messages with a delivery in this status.
    pub status: Option<DeliveryStatus>,
    /// Only messages sent to this endpoint.
    pub endpoint: Option<EndpointId>,
}

/// The result of trying to claim an attempt before making it.
#[derive(Clone, Debug, PartialEq)]
pub enum AttemptClaim {
    /// This dispatcher makes the attempt.
    Claimed,
    /// The attempt was already made (a duplicate task): here is how it ended.
    AlreadyMade(Attempt),
    /// Another dispatcher is making it right now.
    InFlightElsewhere,
}

fn message_keys(tenant: &TenantId, id: &MessageId) -> Keys {
    Keys::new(keys::messages(tenant), id.to_string())
}

fn delivery_keys(tenant: &TenantId, message: &MessageId, endpoint: &EndpointId) -> Keys {
    Keys::new(
        keys::message_children(tenant, message),
        keys::delivery_sk(endpoint),
    )
}

/// A delivery record's keys. Not indexed: recovery finds an endpoint's failed deliveries through
/// its attempts' index, so a record costs one write unit, not two or three (an index entry keyed
/// by the time of its last change moved at every attempt).
fn delivery_record_keys(tenant: &TenantId, record: &DeliveryRecord) -> Keys {
    delivery_keys(tenant, &record.message_id, &record.endpoint_id)
}

/// An attempt's keys, indexed by endpoint and start time (for statistics).
fn attempt_keys(tenant: &TenantId, attempt: &Attempt) -> Keys {
    Keys::new(
        keys::message_children(tenant, &attempt.message_id),
        keys::attempt_sk(&attempt.endpoint_id, attempt.attempt),
    )
    .with_gsi1(
        keys::endpoint_attempts(tenant, &attempt.endpoint_id),
        format!(
            "{}#{}#{:03}",
            keys::sort_time(attempt.started_at),
            attempt.message_id,
            attempt.attempt
        ),
    )
}

fn ignore_conflict(result: Result<(), StoreError>) -> Result<(), StoreError> {
    match result {
        Err(StoreError::Conflict) => Ok(()),
        other => other,
    }
}

/// The message attribute listing the endpoints whose delivery is in `status` (a string set, so
/// concurrent dispatchers update it with atomic `ADD`/`DELETE` and it disappears when empty).
fn status_set(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "deliveries_pending",
        DeliveryStatus::Succeeded => "deliveries_succeeded",
        DeliveryStatus::Failed => "deliveries_failed",
        DeliveryStatus::Exhausted => "deliveries_exhausted",
    }
}

impl Store {
    /// Stores a message once, pending at `endpoints`; a second store of the same id (a
    /// redelivered event) is a no-op.
    pub async fn put_message_once(
        &self,
        message: &Message,
        endpoints: &[EndpointId],
    ) -> Result<(), StoreError> {
        let mut item = to_item(&message_keys(&message.tenant_id, &message.id), message)?;
        if !endpoints.is_empty() {
            item.insert(
                status_set(DeliveryStatus::Pending).into(),
                AttributeValue::Ss(endpoints.iter().map(|e| e.to_string()).collect()),
            );
        }
        ignore_conflict(self.put_new(item).await)
    }

    /// Moves `endpoints` into the message's set of deliveries in `status`, out of the others, in
    /// one update. A message that no longer exists is left alone.
    pub async fn index_delivery_status(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoints: &[EndpointId],
        status: DeliveryStatus,
    ) -> Result<(), StoreError> {
        if endpoints.is_empty() {
            return Ok(());
        }
        let others: Vec<String> = DeliveryStatus::ALL
            .into_iter()
            .filter(|s| *s != status)
            .map(|s| format!("{} :ep", status_set(s)))
            .collect();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(message_keys(tenant, message).key()))
            .update_expression(format!(
                "ADD {} :ep DELETE {}",
                status_set(status),
                others.join(", ")
            ))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(
                ":ep",
                AttributeValue::Ss(endpoints.iter().map(|e| e.to_string()).collect()),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        ignore_conflict(result)
    }

    /// The endpoints and messages a batch of delivery tasks names, read in one request (`None`
    /// for those that do not exist). Message bodies kept in S3 are not loaded.
    #[allow(clippy::type_complexity)]
    pub async fn get_endpoints_and_messages(
        &self,
        endpoints: &[(TenantId, EndpointId)],
        messages: &[(TenantId, MessageId)],
    ) -> Result<
        (
            HashMap<(TenantId, EndpointId), Option<Endpoint>>,
            HashMap<(TenantId, MessageId), Option<Message>>,
        ),
        StoreError,
    > {
        let endpoint_keys: Vec<Keys> = endpoints
            .iter()
            .map(|(tenant, id)| super::endpoints::endpoint_keys(tenant, id))
            .collect();
        let message_keys: Vec<Keys> = messages
            .iter()
            .map(|(tenant, id)| message_keys(tenant, id))
            .collect();
        let all: Vec<Keys> = endpoint_keys.iter().chain(&message_keys).cloned().collect();
        let mut found = self.get_many(&all).await?;
        let mut take = |keys: &Keys| found.remove(&(keys.pk.clone(), keys.sk.clone()));
        let mut by_endpoint = HashMap::new();
        for (wanted, keys) in endpoints.iter().zip(&endpoint_keys) {
            by_endpoint.insert(wanted.clone(), take(keys).map(from_item).transpose()?);
        }
        let mut by_message = HashMap::new();
        for (wanted, keys) in messages.iter().zip(&message_keys) {
            by_message.insert(wanted.clone(), take(keys).map(from_item).transpose()?);
        }
        Ok((by_endpoint, by_message))
    }

    /// A tenant's message.
    pub async fn get_message(
        &self,
        tenant: &TenantId,
        id: &MessageId,
    ) -> Result<Option<Message>, StoreError> {
        self.get(&message_keys(tenant, id)).await
    }

    /// Every item of `partition` in `gsi1` from `from` on, oldest first, up to `cap`.
    async fn gsi1_since<T: serde::de::DeserializeOwned>(
        &self,
        partition: String,
        from: String,
        cap: usize,
    ) -> Result<Vec<T>, StoreError> {
        let query = Query {
            index: Some("gsi1"),
            sort_from: Some(from),
            ..Query::partition(partition)
        };
        self.query_every(query, cap).await
    }

    /// The deliveries of `messages` to `endpoint` that have a record, in one batch read.
    pub async fn get_deliveries(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        messages: &[MessageId],
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let keys: Vec<Keys> = messages
            .iter()
            .map(|message| delivery_keys(tenant, message, endpoint))
            .collect();
        let mut found = self.get_many(&keys).await?;
        keys.iter()
            .filter_map(|k| found.remove(&(k.pk.clone(), k.sk.clone())))
            .map(from_item)
            .collect()
    }

    /// An endpoint's attempts started at or after `since` (at most 10,000).
    pub async fn endpoint_attempts_since(
        &self,
        tenant: &TenantId,
        endpoint: &EndpointId,
        since: DateTime<Utc>,
    ) -> Result<Vec<Attempt>, StoreError> {
        self.gsi1_since(
            keys::endpoint_attempts(tenant, endpoint),
            keys::sort_time(since),
            10_000,
        )
        .await
    }

    /// A message's delivery state at every endpoint it went to.
    pub async fn list_deliveries(
        &self,
        tenant: &TenantId,
        message: &MessageId,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.query_all(keys::message_children(tenant, message), "DEST#")
            .await
    }

    /// A tenant's messages, newest first, optionally of one event type, since a time, with a
    /// delivery in `status`, and sent to `endpoint` (with both: that endpoint's delivery is in
    /// `status`).
    pub async fn list_messages_filtered(
        &self,
        tenant: &TenantId,
        filters: &MessageFilters,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let mut filter = Filter::default();
        if let Some(event_type) = filters.event_type {
            filter = filter.equals("event_type", event_type.as_str());
        }
        filter = match (&filters.status, &filters.endpoint) {
            (Some(status), Some(endpoint)) => {
                filter.any_contains(&[status_set(*status)], endpoint.as_str())
            }
            (Some(status), None) => filter.exists(status_set(*status)),
            (None, Some(endpoint)) => {
                let sets = DeliveryStatus::ALL.map(status_set);
                filter.any_contains(&sets, endpoint.as_str())
            }
            (None, None) => filter,
        };
        let since = filters.since;
        let query = Query {
            newest_first: true,
            // Message ids are ULIDs, so the smallest id of a millisecond bounds the time.
            sort_from: since.map(|at| {
                let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                format!("msg_{}", ulid::Ulid::from_parts(ms, 0))
            }),
            filter: Some(filter),
            ..Query::partition(keys::messages(tenant))
        };
        self.query_page(query, page).await
    }

    /// A tenant's messages, newest first.
    pub async fn list_messages(
        &self,
        tenant: &TenantId,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        let query = Query {
            newest_first: true,
            ..Query::partition(keys::messages(tenant))
        };
        self.query_page(query, page).await
    }

    /// Overwrites a delivery's state.
    pub async fn set_delivery(
        &self,
        tenant: &TenantId,
        record: &DeliveryRecord,
    ) -> Result<(), StoreError> {
        let keys = delivery_record_keys(tenant, record);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, record)?))
            .send()
            .await?;
        Ok(())
    }

    /// A delivery's state.
    pub async fn get_delivery(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        endpoint: &EndpointId,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        self.get(&delivery_keys(tenant, message, endpoint)).await
    }

    /// Claims attempt `attempt.attempt` before making it, so a duplicate SQS delivery of the same
    /// task never POSTs twice. A claim whose lease ran out (its dispatcher died mid-attempt) can be
    /// taken over.
    pub async fn claim_attempt(
        &self,
        tenant: &TenantId,
        attempt: &Attempt,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<AttemptClaim, StoreError> {
        debug_assert_eq!(attempt.outcome, AttemptOutcome::InFlight);
        let keys = attempt_keys(tenant, attempt);
        // The claim is not indexed: an attempt enters the endpoint's index when its result is
        // written (statistics skip attempts in flight), so a claim costs one write unit, not two.
        let unindexed = Keys::new(keys.pk.clone(), keys.sk.clone());
        let mut item = to_item(&unindexed, attempt)?;
        item.insert(
            "lease_until_ms".into(),
            AttributeValue::N(lease_until.timestamp_millis().to_string()),
        );
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR (outcome = :in_flight AND lease_until_ms < :now)",
            )
            .expression_attribute_values(":in_flight", AttributeValue::S("in_flight".into()))
            .expression_attribute_values(
                ":now",
                AttributeValue::N(now.timestamp_millis().to_string()),
            )
            .send()
            .await
            .map_err(StoreError::from);
        match result {
            Ok(_) => Ok(AttemptClaim::Claimed),
            Err(StoreError::Conflict) => {
                let existing: Option<Attempt> = self.get(&keys).await?;
                Ok(match existing {
                    Some(made) if made.outcome != AttemptOutcome::InFlight => {
                        AttemptClaim::AlreadyMade(made)
                    }
                    _ => AttemptClaim::InFlightElsewhere,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// Records how an attempt ended and the delivery's new state in one request (two puts in a
    /// `BatchWriteItem`), falling back to single puts for anything left unprocessed.
    pub async fn record_attempt_result(
        &self,
        tenant: &TenantId,
        attempt: &Attempt,
        delivery: &DeliveryRecord,
    ) -> Result<(), StoreError> {
        self.put_batch(vec![
            to_item(&attempt_keys(tenant, attempt), attempt)?,
            to_item(&delivery_record_keys(tenant, delivery), delivery)?,
        ])
        .await
    }

    /// Marks `attempt`'s successor queued, so a duplicate of its task does not queue it again.
    pub async fn mark_successor_queued(
        &self,
        tenant: &TenantId,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_keys(tenant, attempt).key()))
            .update_expression("SET successor_queued = :queued")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":queued", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(StoreError::from)?;
        Ok(())
    }

    /// A message's attempts to every endpoint, by endpoint then attempt number.
    pub async fn list_attempts(
        &self,
        tenant: &TenantId,
        message: &MessageId,
        page: &PageRequest,
    ) -> Result<Page<Attempt>, StoreError> {
        let query = Query {
            sort_prefix: Some(keys::ATTEMPT_PREFIX.to_owned()),
            ..Query::partition(keys::message_children(tenant, message))
        };
        self.query_page(query, page).await
    }
}
