//! A table's DynamoDB stream read the way Lambda's event source mapping reads it for a function:
//! from the oldest record (`TRIM_HORIZON`), in order, records kept only when they match the
//! mapping's filter patterns, handed over as the `{"Records": [...]}` event the function gets,
//! and read again from the first failed record when the function reports partial failures.

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Map, Value};

/// Reading the stream failed.
#[derive(Debug, thiserror::Error)]
#[error("dynamodb streams: {0}")]
pub struct StreamError(String);

fn failed<E: std::fmt::Display>(err: E) -> StreamError {
    StreamError(err.to_string())
}

/// An SDK error of any streams operation, as the service's error (its code and message).
fn refused<E: Into<aws_sdk_dynamodbstreams::Error>>(err: E) -> StreamError {
    failed(err.into())
}

/// One table stream's reader (moto's streams have one shard).
#[derive(Debug)]
pub struct TableStream {
    client: Client,
    stream_arn: String,
    shard_id: String,
    filters: Vec<Value>,
    /// Where the next read starts: an iterator handed back by the last read, if it is still good.
    iterator: Option<String>,
    /// The sequence number to read from when there is no iterator (`None`: the oldest record).
    resume_at: Option<String>,
}

/// Records read and matched, as the event a function gets.
#[derive(Debug)]
pub struct StreamBatch {
    /// `{"Records": [...]}`, in stream order.
    pub event: Value,
    /// The sequence numbers of the records in the event, in order.
    pub sequence_numbers: Vec<String>,
}

impl TableStream {
    /// Opens the stream `stream_arn`, keeping records that match any of `filters` (Lambda filter
    /// patterns, JSON; none keeps every record).
    pub async fn open(
        client: Client,
        stream_arn: &str,
        filters: &[String],
    ) -> Result<Self, StreamError> {
        let described = client
            .describe_stream()
            .stream_arn(stream_arn)
            .send()
            .await
            .map_err(refused)?;
        let shard_id = described
            .stream_description()
            .and_then(|d| d.shards().first())
            .and_then(|s| s.shard_id())
            .ok_or_else(|| StreamError(format!("stream {stream_arn} has no shard")))?
            .to_owned();
        let filters = filters
            .iter()
            .map(|f| serde_json::from_str(f).map_err(failed))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            client,
            stream_arn: stream_arn.to_owned(),
            shard_id,
            filters,
            iterator: None,
            resume_at: None,
        })
    }

    /// Opens the stream of table `table_name` on the emulator at `endpoint`.
    pub async fn of_table(
        endpoint: &str,
        table_name: &str,
        filters: &[String],
    ) -> Result<Self, StreamError> {
        let client = Client::new(&crate::sdk_config(endpoint).await);
        let listed = client
            .list_streams()
            .table_name(table_name)
            .send()
            .await
            .map_err(refused)?;
        let arn = listed
            .streams()
            .first()
            .and_then(|s| s.stream_arn())
            .ok_or_else(|| StreamError(format!("table {table_name} has no stream")))?
            .to_owned();
        Self::open(client, &arn, filters).await
    }

    async fn fresh_iterator(&self) -> Result<String, StreamError> {
        let request = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(&self.shard_id);
        let request = match &self.resume_at {
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Some(sequence) => request
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(sequence),
        };
        let output = request.send().await.map_err(refused)?;
        output
            .shard_iterator
            .ok_or_else(|| StreamError("no shard iterator".into()))
    }

    /// The next matching records, at most `max` (`None` when there are none yet). Records that
    /// do not match are passed over, as Lambda's filtering drops them.
    pub async fn next_batch(&mut self, max: usize) -> Result<Option<StreamBatch>, StreamError> {
        let iterator = match self.iterator.take() {
            Some(iterator) => iterator,
            None => self.fresh_iterator().await?,
        };
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(i32::try_from(max).unwrap_or(1000))
            .send()
            .await
            .map_err(refused)?;
        self.iterator = output.next_shard_iterator().map(str::to_owned);
        let mut records = Vec::new();
        let mut sequence_numbers = Vec::new();
        for record in output.records() {
            let sequence = record
                .dynamodb()
                .and_then(|d| d.sequence_number())
                .unwrap_or_default()
                .to_owned();
            let event = lambda_record(record, &self.stream_arn);
            if self.filters.is_empty() || self.filters.iter().any(|f| matches(f, &event)) {
                records.push(event);
                sequence_numbers.push(sequence.clone());
            }
            self.resume_at = Some(next_sequence(&sequence));
        }
        if records.is_empty() {
            return Ok(None);
        }
        Ok(Some(StreamBatch {
            event: json!({ "Records": records }),
            sequence_numbers,
        }))
    }

    /// After the function took `batch`: with failures reported (`batchItemFailures` item
    /// identifiers), the next read starts again at the first failed record, as Lambda does.
    pub fn settle(&mut self, batch: &StreamBatch, failures: &[String]) {
        let first_failed = batch
            .sequence_numbers
            .iter()
            .find(|sequence| failures.contains(sequence));
        if let Some(sequence) = first_failed {
            self.iterator = None;
            self.resume_at = Some(sequence.clone());
        }
    }

    /// Reads the batch again from its first record (the function failed as a whole).
    pub fn retry(&mut self, batch: &StreamBatch) {
        if let Some(first) = batch.sequence_numbers.first() {
            self.iterator = None;
            self.resume_at = Some(first.clone());
        }
    }
}

/// The sequence number after `sequence` (decimal strings of any length).
fn next_sequence(sequence: &str) -> String {
    let mut digits: Vec<u8> = sequence.bytes().collect();
    for digit in digits.iter_mut().rev() {
        if *digit == b'9' {
            *digit = b'0';
        } else {
            *digit += 1;
            return String::from_utf8_lossy(&digits).into_owned();
        }
    }
    format!("1{}", String::from_utf8_lossy(&digits))
}

/// A record as Lambda hands it to a function.
fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let change = record.dynamodb();
    let image = |attributes: Option<&std::collections::HashMap<String, AttributeValue>>| {
        attributes.map(|a| {
            Value::Object(
                a.iter()
                    .map(|(name, value)| (name.clone(), attribute_json(value)))
                    .collect(),
            )
        })
    };
    let mut dynamodb = Map::new();
    if let Some(change) = change {
        if let Some(at) = change.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(at.secs()));
        }
        for (name, attributes) in [
            ("Keys", change.keys.as_ref()),
            ("NewImage", change.new_image.as_ref()),
            ("OldImage", change.old_image.as_ref()),
        ] {
            if let Some(value) = image(attributes) {
                dynamodb.insert(name.into(), value);
            }
        }
        dynamodb.insert(
            "SequenceNumber".into(),
            json!(change.sequence_number().unwrap_or_default()),
        );
        dynamodb.insert("SizeBytes".into(), json!(change.size_bytes().unwrap_or(0)));
        if let Some(view) = change.stream_view_type() {
            dynamodb.insert("StreamViewType".into(), json!(view.as_str()));
        }
    }
    json!({
        "eventID": record.event_id().unwrap_or_default(),
        "eventName": record.event_name().map(|n| n.as_str()).unwrap_or_default(),
        "eventVersion": record.event_version().unwrap_or("1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region().unwrap_or(crate::REGION),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

/// An attribute value in DynamoDB's JSON form (`{"S": "…"}`), as stream events carry it.
fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": BASE64.encode(b.as_ref()) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(set) => json!({ "SS": set }),
        AttributeValue::Ns(set) => json!({ "NS": set }),
        AttributeValue::Bs(set) => {
            json!({ "BS": set.iter().map(|b| BASE64.encode(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({
            "M": map.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect::<Map<_, _>>()
        }),
        _ => Value::Null,
    }
}

/// Whether `event` matches a Lambda filter pattern: every key of the pattern is in the event,
/// nested objects match recursively, and a list matches when any of its values does (a literal,
/// or `{"prefix": "…"}`).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(key, wanted)| match event.get(key) {
            Some(found) => matches(wanted, found),
            None => false,
        }),
        Value::Array(options) => options.iter().any(|option| match option {
            Value::Object(rule) => match rule.get("prefix").and_then(Value::as_str) {
                Some(prefix) => event.as_str().is_some_and(|s| s.starts_with(prefix)),
                None => false,
            },
            literal => literal == event,
        }),
        literal => literal == event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_patterns_match_nested_keys_literals_and_prefixes() {
        let pattern = json!({
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}
        });
        let record = |name: &str, pk: &str| json!({"eventName": name, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "x"}}}});
        assert!(matches(&pattern, &record("INSERT", "OUTBOX#2")));
        assert!(!matches(&pattern, &record("MODIFY", "OUTBOX#2")));
        assert!(!matches(&pattern, &record("INSERT", "TENANT#t#INCIDENT")));
        assert!(!matches(&pattern, &json!({"eventName": "INSERT"})));
    }

    #[test]
    fn the_next_sequence_number_carries_over_every_digit() {
        assert_eq!(
            next_sequence("1100000000017454423009"),
            "1100000000017454423010"
        );
        assert_eq!(next_sequence("999"), "1000");
    }
}
