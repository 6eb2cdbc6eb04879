//! What a function asks of AWS, counted by an SDK interceptor on real clients against the
//! emulator: calls by operation, DynamoDB read and write request units (from the items written
//! and read, by DynamoDB's sizing rules), and the S3 and SQS requests; and what that costs at AWS
//! list prices. Used by the `aws-calls` figures.

use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemOutput, batch_write_item::BatchWriteItemInput,
    get_item::GetItemOutput, put_item::PutItemInput, query::QueryOutput,
    transact_write_items::TransactWriteItemsInput,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use faultline::aws::AwsClients;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// What was asked of AWS.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Calls by `Service.Operation`.
    pub calls: BTreeMap<String, usize>,
    /// DynamoDB write request units.
    pub write_units: f64,
    /// DynamoDB read request units (eventually consistent reads count half).
    pub read_units: f64,
    /// Where the write units went: items put, by kind (see [`item_kind`]), with their units.
    pub write_units_by_kind: BTreeMap<String, f64>,
}

impl Usage {
    /// Every call.
    pub fn total_calls(&self) -> usize {
        self.calls.values().sum()
    }

    /// Calls of one service.
    pub fn calls_of(&self, service: &str) -> usize {
        self.calls
            .iter()
            .filter(|(op, _)| op.starts_with(&format!("{service}.")))
            .map(|(_, n)| n)
            .sum()
    }

    /// `Op×n, …`.
    pub fn detail(&self) -> String {
        let parts: Vec<String> = self
            .calls
            .iter()
            .map(|(op, n)| format!("{op}×{n}"))
            .collect();
        parts.join(", ")
    }

    /// `KIND units, …`, the costliest kind first: where the write units went.
    pub fn write_detail(&self) -> String {
        let mut kinds: Vec<(&String, &f64)> = self.write_units_by_kind.iter().collect();
        kinds.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = kinds
            .into_iter()
            .map(|(kind, units)| format!("{kind} {units:.1}"))
            .collect();
        parts.join(", ")
    }
}

/// What kind of item a put writes, from its keys without their ids: the first segment of the
/// partition key after the tenant (`INCIDENT`, `FP`, `DEDUP`, `OUTBOX`, …), and the first
/// segment of the sort key when it is a word (`INCIDENT TL` for a timeline line).
pub fn item_kind(item: &HashMap<String, AttributeValue>) -> String {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.as_str(),
        _ => "",
    };
    let pk = text("pk");
    let pk = match pk.strip_prefix("TENANT#") {
        Some(rest) => rest.split_once('#').map_or("TENANT", |(_, after)| after),
        None => pk,
    };
    let kind = pk.split('#').next().unwrap_or_default();
    // A sort key's first segment names a kind when it is a word (`TL`, `ATTEMPT`), not a time.
    let is_word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    match text("sk").split_once('#') {
        Some((sort_kind, _)) if is_word(sort_kind) => format!("{kind} {sort_kind}"),
        _ => kind.to_owned(),
    }
}

/// Counts what the clients it is installed on ask of AWS.
#[derive(Clone, Debug, Default)]
pub struct UsageCounter(Arc<Mutex<Usage>>);

impl UsageCounter {
    /// What was counted since the last take, and a fresh start.
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn add(&self, change: impl FnOnce(&mut Usage)) {
        change(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Real clients on the emulator at `endpoint`, every request counted here.
    pub async fn clients(&self, endpoint: &str) -> AwsClients {
        faultline_testkit::intercepted(&AwsClients::for_emulator(endpoint).await, self)
    }
}

/// DynamoDB's size of an attribute value, in bytes.
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + item_size(map) + map.len(),
        _ => 1,
    }
}

/// DynamoDB's size of an item: attribute names and values.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Write units of writing an item of `bytes` (1 KB each, at least one).
fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Write units of putting `item` (`transactional`: twice the units): the table's, plus the
/// index's when the item carries `gsi1` keys — the index projects every attribute, so DynamoDB
/// writes the item again there. (The removal of an item's previous index entry, when a put moves
/// it, is not counted: it would need the item as it was.)
fn put_units(item: &HashMap<String, AttributeValue>, transactional: bool) -> f64 {
    let units = write_units(item_size(item));
    let table = if transactional { 2.0 * units } else { units };
    let index = if item.contains_key("gsi1pk") {
        units
    } else {
        0.0
    };
    table + index
}

/// Read units of reading `bytes` eventually consistent (4 KB each, at least one, halved).
fn read_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64 / 2.0
}

impl Intercept for UsageCounter {
    fn name(&self) -> &'static str {
        "UsageCounter"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let operation = format!("{}.{}", metadata.service(), metadata.name());
        let input = context.input();
        // Updates and deletes are counted as one unit: the hub updates small items (counters,
        // delivery records, claims) and deletes outbox entries.
        let mut kinds: Vec<(String, f64)> = Vec::new();
        let mut put = |item: &HashMap<String, AttributeValue>, transactional: bool| {
            let units = put_units(item, transactional);
            kinds.push((item_kind(item), units));
            units
        };
        let units = if let Some(single) = input.downcast_ref::<PutItemInput>() {
            single.item().map_or(1.0, |item| put(item, false))
        } else if let Some(batch) = input.downcast_ref::<BatchWriteItemInput>() {
            batch
                .request_items()
                .map(|tables| {
                    tables
                        .values()
                        .flatten()
                        .map(|request| {
                            request
                                .put_request()
                                .map_or(1.0, |single| put(single.item(), false))
                        })
                        .sum()
                })
                .unwrap_or(0.0)
        } else if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            // Transactional writes cost two units per KB (index writes are not doubled).
            transaction
                .transact_items()
                .iter()
                .map(|item| item.put().map_or(2.0, |single| put(single.item(), true)))
                .sum()
        } else if matches!(
            metadata.name(),
            "UpdateItem" | "DeleteItem" | "UpdateTimeToLive"
        ) && metadata.service() == "DynamoDB"
        {
            1.0
        } else {
            0.0
        };
        self.add(|usage| {
            *usage.calls.entry(operation).or_default() += 1;
            usage.write_units += units;
            for (kind, units) in kinds {
                *usage.write_units_by_kind.entry(kind).or_default() += units;
            }
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let units = if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            read_units(get.item().map_or(0, item_size))
        } else if let Some(query) = output.downcast_ref::<QueryOutput>() {
            read_units(query.items().iter().map(item_size).sum())
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            // Each item of a batch read is read (and rounded up) on its own.
            batch
                .responses()
                .into_iter()
                .flat_map(|tables| tables.values().flatten())
                .map(|item| read_units(item_size(item)))
                .sum()
        } else {
            0.0
        };
        self.add(|usage| usage.read_units += units);
        Ok(())
    }
}

/// AWS list prices, us-east-1 (USD), as published for 2025–2026.
pub mod prices {
    /// API Gateway HTTP API, per request (first 300 million a month).
    pub const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
    /// Lambda, per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// Lambda arm64, per GB-second.
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    /// DynamoDB on demand, per write request unit.
    pub const DYNAMODB_WRITE_UNIT: f64 = 0.625 / 1e6;
    /// DynamoDB on demand, per read request unit.
    pub const DYNAMODB_READ_UNIT: f64 = 0.125 / 1e6;
    /// SQS standard, per request (64 KB chunk).
    pub const SQS_REQUEST: f64 = 0.40 / 1e6;
    /// S3 Standard PUT.
    pub const S3_PUT: f64 = 0.005 / 1e3;
    /// S3 Standard GET.
    pub const S3_GET: f64 = 0.0004 / 1e3;
}

/// One line of a cost table: what, how many per unit of work, and dollars per million units.
#[derive(Clone, Debug)]
pub struct CostLine {
    /// The line item.
    pub item: String,
    /// Quantity per unit of work.
    pub quantity: f64,
    /// USD per million units of work.
    pub per_million: f64,
}

impl CostLine {
    /// `quantity` of something priced `price` each.
    pub fn new(item: &str, quantity: f64, price: f64) -> Self {
        Self {
            item: item.to_owned(),
            quantity,
            per_million: quantity * price * 1e6,
        }
    }
}

/// Prints a cost table and returns its total per million.
pub fn print_costs(title: &str, lines: &[CostLine]) -> f64 {
    println!("{title}");
    let total: f64 = lines.iter().map(|l| l.per_million).sum();
    for line in lines {
        println!(
            "  {:<58} {:>10.3} {:>9.3} $",
            line.item, line.quantity, line.per_million
        );
    }
    println!("  {:<58} {:>10} {:>9.3} $", "total per million", "", total);
    total
}
