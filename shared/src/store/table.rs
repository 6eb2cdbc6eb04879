//! The table handle, its error type and the generic item plumbing the repositories share.

use super::page::{decode_cursor, encode_cursor, Page, PageRequest};
use crate::aws::LazyClient;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Repositories over the single DynamoDB table.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) client: LazyClient<Client>,
    pub(crate) table: String,
}

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost a race or found the item in another state.
    #[error("conditional write failed")]
    Conflict,
    /// The pagination cursor is malformed or belongs to another list.
    #[error("invalid pagination cursor")]
    BadCursor,
    /// A stored item did not decode, or a value did not encode.
    #[error("item codec: {0}")]
    Codec(String),
    /// DynamoDB refused or failed.
    #[error("dynamodb: {0}")]
    Aws(String),
    /// A receipt's dedup key (named) is remembered: the delivery was received before, and
    /// nothing was written.
    #[error("already received ({0})")]
    AlreadyReceived(String),
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        let code = err.code().unwrap_or_default();
        if code == "ConditionalCheckFailedException" {
            return Self::Conflict;
        }
        if code == "TransactionCanceledException" {
            // A failed condition, or another transaction in flight on the same item
            // (`TransactionConflict`): either way another writer got there first — re-read, retry.
            let message = err.message().unwrap_or_default();
            if message.contains("ConditionalCheckFailed") || message.contains("TransactionConflict")
            {
                return Self::Conflict;
            }
        }
        if code == "TransactionConflictException" {
            return Self::Conflict;
        }
        let message = err
            .message()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{err:?}"));
        Self::Aws(format!("{code}: {message}"))
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        Self::Codec(err.to_string())
    }
}

/// For a conditional write on an item that must exist: `Ok(false)` when the condition failed
/// (the item is absent, or belongs to another tenant — the two look the same to the caller).
pub(crate) fn existed(result: Result<(), StoreError>) -> Result<bool, StoreError> {
    match result {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(other) => Err(other),
    }
}

/// The keys of one item.
#[derive(Clone)]
pub(crate) struct Keys {
    pub pk: String,
    pub sk: String,
    pub gsi1: Option<(String, String)>,
}

impl Keys {
    pub fn new(pk: String, sk: impl Into<String>) -> Self {
        Self {
            pk,
            sk: sk.into(),
            gsi1: None,
        }
    }

    pub fn with_gsi1(mut self, pk: String, sk: impl Into<String>) -> Self {
        self.gsi1 = Some((pk, sk.into()));
        self
    }

    pub fn key(&self) -> Item {
        HashMap::from([
            ("pk".to_owned(), AttributeValue::S(self.pk.clone())),
            ("sk".to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// A value's attributes plus its keys.
pub(crate) fn to_item<T: Serialize>(keys: &Keys, value: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value)?;
    item.extend(keys.key());
    if let Some((pk, sk)) = &keys.gsi1 {
        item.insert("gsi1pk".into(), AttributeValue::S(pk.clone()));
        item.insert("gsi1sk".into(), AttributeValue::S(sk.clone()));
    }
    Ok(item)
}

/// A stored item back into its value (key attributes are ignored).
pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}

/// Which items a query reads.
#[derive(Clone)]
pub(crate) struct Query {
    pub index: Option<&'static str>,
    pub partition: String,
    pub sort_prefix: Option<String>,
    pub newest_first: bool,
    /// Only sort keys at or after this one.
    pub sort_from: Option<String>,
    /// Only sort keys at or before this one.
    pub sort_to: Option<String>,
    /// Only items meeting these conditions (applied after the key condition, so a page may hold
    /// fewer items than its limit).
    pub filter: Option<Filter>,
}

/// Conditions on non-key attributes, all of which must hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Filter {
    fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#f{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    fn value(&mut self, value: &str) -> String {
        let placeholder = format!(":f{}", self.values.len());
        self.values
            .insert(placeholder.clone(), AttributeValue::S(value.to_owned()));
        placeholder
    }

    /// `attribute = value`.
    pub fn equals(mut self, attribute: &str, value: &str) -> Self {
        let (n, v) = (self.name(attribute), self.value(value));
        self.conditions.push(format!("{n} = {v}"));
        self
    }

    /// `attribute >= value` (strings compare as text: fixed-width times compare in time order).
    pub fn at_least(mut self, attribute: &str, value: &str) -> Self {
        let (n, v) = (self.name(attribute), self.value(value));
        self.conditions.push(format!("{n} >= {v}"));
        self
    }

    /// The attribute exists (a string set exists only while it has members).
    pub fn exists(mut self, attribute: &str) -> Self {
        let n = self.name(attribute);
        self.conditions.push(format!("attribute_exists({n})"));
        self
    }

    /// Some of the string-set `attributes` holds `member`.
    pub fn any_contains(mut self, attributes: &[&str], member: &str) -> Self {
        let v = self.value(member);
        let options: Vec<String> = attributes
            .iter()
            .map(|a| format!("contains({}, {v})", self.name(a)))
            .collect();
        self.conditions.push(format!("({})", options.join(" OR ")));
        self
    }

    fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }
}

impl Query {
    /// A query of one partition.
    pub fn partition(partition: String) -> Self {
        Self {
            index: None,
            partition,
            sort_prefix: None,
            newest_first: false,
            sort_from: None,
            filter: None,
            sort_to: None,
        }
    }
}

impl Store {
    /// Repositories over `table`.
    pub fn new(client: impl Into<LazyClient<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    /// Strongly consistent read of one item.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        keys: &Keys,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(keys.key()))
            .consistent_read(true)
            .send()
            .await?;
        output.item.map(from_item).transpose()
    }

    /// Puts an item, replacing any item with its keys.
    pub(crate) async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// Puts an item that must not exist yet; `Conflict` if it does.
    pub(crate) async fn put_new(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// Puts items unconditionally, 25 per `BatchWriteItem` (DynamoDB's limit), falling back to
    /// single puts for anything left unprocessed.
    pub(crate) async fn put_batch(&self, items: Vec<Item>) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        for chunk in items.chunks(25) {
            let requests = chunk
                .iter()
                .map(|item| {
                    PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map(|put| WriteRequest::builder().put_request(put).build())
                        .map_err(|e| StoreError::Codec(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await?;
            let unprocessed = output
                .unprocessed_items
                .and_then(|mut tables| tables.remove(&self.table))
                .unwrap_or_default();
            for request in unprocessed {
                if let Some(item) = request.put_request.map(|p| p.item) {
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .send()
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Deletes an item; `Ok(false)` when there was none.
    pub(crate) async fn delete_existing(&self, keys: &Keys) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(keys.key()))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map(|_| ())
            .map_err(StoreError::from);
        existed(result)
    }

    /// Puts an item that must exist already; `Conflict` if it does not.
    pub(crate) async fn put_existing(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// How many reads one page of a filtered query may take to fill itself.
    const FILTERED_READS: usize = 8;

    /// One page of a query.
    pub(crate) async fn query_page<T: DeserializeOwned>(
        &self,
        query: Query,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let (pk_attr, sk_attr) = match query.index {
            Some(_) => ("gsi1pk", "gsi1sk"),
            None => ("pk", "sk"),
        };
        let start_key = page
            .cursor
            .as_deref()
            .map(|cursor| decode_cursor(cursor, pk_attr, &query.partition))
            .transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(str::to_owned))
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_values(":pk", AttributeValue::S(query.partition))
            .scan_index_forward(!query.newest_first)
            .consistent_read(query.index.is_none());
        request = match (query.sort_prefix, query.sort_from, query.sort_to) {
            (Some(prefix), _, _) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":prefix", AttributeValue::S(prefix)),
            (None, Some(from), Some(to)) => request
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":from", AttributeValue::S(from))
                .expression_attribute_values(":to", AttributeValue::S(to)),
            (None, Some(from), None) => request
                .key_condition_expression("#pk = :pk AND #sk >= :from")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":from", AttributeValue::S(from)),
            (None, None, Some(to)) => request
                .key_condition_expression("#pk = :pk AND #sk <= :to")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":to", AttributeValue::S(to)),
            (None, None, None) => request.key_condition_expression("#pk = :pk"),
        };
        let filtered = query.filter.as_ref().is_some_and(|f| !f.is_empty());
        if let Some(filter) = query.filter.filter(|f| !f.is_empty()) {
            request = request.filter_expression(filter.conditions.join(" AND "));
            for (placeholder, name) in filter.names {
                request = request.expression_attribute_names(placeholder, name);
            }
            for (placeholder, value) in filter.values {
                request = request.expression_attribute_values(placeholder, value);
            }
        }
        // DynamoDB applies `Limit` before the filter, so one read of a filtered query can come
        // back short, even empty, with more to read: keep reading (a bounded number of times)
        // until the page is full or the partition ends, so a search does not answer an empty page
        // with a cursor.
        let limit = page.limit();
        let mut items = Vec::new();
        let mut start_key = start_key;
        for _ in 0..Self::FILTERED_READS {
            let wanted = limit - i32::try_from(items.len()).unwrap_or(limit);
            let output = request
                .clone()
                .limit(wanted)
                .set_exclusive_start_key(start_key)
                .send()
                .await?;
            for item in output.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            start_key = output.last_evaluated_key;
            if !filtered
                || start_key.is_none()
                || items.len() >= usize::try_from(limit).unwrap_or(0)
            {
                break;
            }
        }
        Ok(Page {
            items,
            next_cursor: start_key.as_ref().map(encode_cursor),
        })
    }

    /// Every item of a query, page after page, up to about `cap` (the one paged loop: a tenant's
    /// endpoints, an endpoint's recent deliveries).
    pub(crate) async fn query_every<T: DeserializeOwned>(
        &self,
        query: Query,
        cap: usize,
    ) -> Result<Vec<T>, StoreError> {
        let mut all = Vec::new();
        let mut page = PageRequest {
            limit: Some(PageRequest::MAX_LIMIT),
            cursor: None,
        };
        loop {
            let result: Page<T> = self.query_page(query.clone(), &page).await?;
            all.extend(result.items);
            match result.next_cursor {
                Some(cursor) if all.len() < cap => page.cursor = Some(cursor),
                _ => return Ok(all),
            }
        }
    }

    /// Every item of a partition whose sort key starts with `sort_prefix` (small, bounded sets).
    pub(crate) async fn query_all<T: DeserializeOwned>(
        &self,
        partition: String,
        sort_prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        let query = Query {
            sort_prefix: Some(sort_prefix.to_owned()),
            ..Query::partition(partition)
        };
        self.query_every(query, usize::MAX).await
    }
}
