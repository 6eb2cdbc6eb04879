//! Requests as IAM sees them: the actions and logical resources an SDK request needs, and the
//! partition keys it touches as `dynamodb:LeadingKeys` patterns.

use super::{Permission, LEADING_KEYS};
use serde_json::Value;
use std::collections::HashMap;

/// Physical names (table name, queue URL, bucket, secret ARN) to logical ids.
#[derive(Clone, Debug, Default)]
pub struct ResourceNames(HashMap<String, String>);

impl ResourceNames {
    /// From a deployment's physical ids by logical id.
    pub fn new(physical_ids: &HashMap<String, String>) -> Self {
        let mut names = HashMap::new();
        for (logical, physical) in physical_ids {
            names.insert(physical.clone(), logical.clone());
            // A queue's physical id is its URL; requests may name it by another host.
            if let Some(last) = physical
                .rsplit('/')
                .next()
                .filter(|_| physical.contains("://"))
            {
                names.insert(last.to_owned(), logical.clone());
            }
        }
        Self(names)
    }

    fn logical(&self, physical: &str) -> String {
        self.0
            .get(physical)
            .or_else(|| {
                physical
                    .rsplit('/')
                    .next()
                    .and_then(|last| self.0.get(last))
            })
            .cloned()
            .unwrap_or_else(|| format!("?{physical}"))
    }
}

/// An object key as a template resource pattern: raw archives by source
/// (`raw/{tenant}/{source}/…` → `raw/*/{source}/*`), anything else by its first segment.
fn key_pattern(key: &str) -> String {
    let mut segments = key.split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("raw"), Some(_), Some(source)) => format!("raw/*/{source}/*"),
        (Some(first), Some(_), _) => format!("{first}/*"),
        _ => "*".to_owned(),
    }
}

/// What one request needs, in IAM terms.
pub fn permissions_of(
    service: &str,
    operation: &str,
    uri: &str,
    body: Option<&[u8]>,
    names: &ResourceNames,
) -> Vec<Permission> {
    let json: Value = body
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    let text = |field: &str| json[field].as_str().unwrap_or_default().to_owned();
    match service {
        "DynamoDB" => dynamodb_permissions(operation, &json, names),
        "SQS" => {
            let action = match operation {
                "SendMessageBatch" => "SendMessage",
                "DeleteMessageBatch" => "DeleteMessage",
                "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
                other => other,
            };
            let queue = match operation {
                "GetQueueUrl" => text("QueueName"),
                _ => text("QueueUrl"),
            };
            vec![Permission::new(
                &format!("sqs:{action}"),
                names.logical(&queue),
            )]
        }
        "S3" => {
            let path = uri
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split_once('/'))
                .map(|(_, path)| path)
                .unwrap_or_default();
            let path = path.split('?').next().unwrap_or_default();
            let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
            let bucket = names.logical(bucket);
            let object = format!("{bucket}/{}", key_pattern(key));
            let (action, resource) = match operation {
                "ListObjectsV2" | "ListObjects" => ("ListBucket", bucket),
                "HeadObject" | "GetObject" => ("GetObject", object),
                // A copy is authorised as a write of the destination (and a read of the source).
                "PutObject"
                | "CopyObject"
                | "CreateMultipartUpload"
                | "UploadPart"
                | "CompleteMultipartUpload" => ("PutObject", object),
                "DeleteObject" | "DeleteObjects" => ("DeleteObject", object),
                other => (other, object),
            };
            vec![Permission::new(&format!("s3:{action}"), resource)]
        }
        // SES v2's API authorises as `ses:` actions (its identities are not template resources).
        "SESv2" => vec![Permission::new(&format!("ses:{operation}"), "*")],
        // The log scan reads the groups tenants name (not template resources).
        "CloudWatch Logs" => vec![Permission::new(&format!("logs:{operation}"), "*")],
        "Secrets Manager" => vec![Permission::new(
            &format!("secretsmanager:{operation}"),
            names.logical(&text("SecretId")),
        )],
        other => vec![Permission::new(
            &format!("{}:{operation}", other.to_lowercase().replace(' ', "")),
            "*",
        )],
    }
}

/// A partition key as an IAM `StringLike` pattern: words in capitals stay (`TENANT`, `INCIDENT`),
/// an id (`ten_` and a ULID) becomes one `?` per character (so `TENANT#?…?` matches a tenant's own
/// partition and not `TENANT#?…?#AUDIT`), anything else (delivery ids, counter names) `*`.
pub fn leading_key_pattern(pk: &str) -> String {
    pk.split('#')
        .map(|segment| {
            let is_word = !segment.is_empty() && segment.chars().all(|c| c.is_ascii_uppercase());
            let is_id = segment.split_once('_').is_some_and(|(prefix, ulid)| {
                (2..=4).contains(&prefix.len())
                    && prefix.chars().all(|c| c.is_ascii_lowercase())
                    && ulid.len() == 26
                    && ulid.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if is_word {
                segment.to_owned()
            } else if is_id {
                "?".repeat(segment.len())
            } else {
                "*".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("#")
}

/// Every partition key value a DynamoDB request names.
fn partition_keys(operation: &str, json: &Value) -> Vec<String> {
    let pk = |holder: &Value| holder["pk"]["S"].as_str().map(str::to_owned);
    let mut keys = Vec::new();
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            for item in json["TransactItems"].as_array().into_iter().flatten() {
                for spec in item.as_object().into_iter().flat_map(|o| o.values()) {
                    keys.extend(pk(&spec["Key"]).or_else(|| pk(&spec["Item"])));
                }
            }
        }
        "BatchWriteItem" | "BatchGetItem" => {
            for requests in json["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
            {
                for request in requests.as_array().into_iter().flatten() {
                    keys.extend(pk(&request["PutRequest"]["Item"]));
                    keys.extend(pk(&request["DeleteRequest"]["Key"]));
                }
                for key in requests["Keys"].as_array().into_iter().flatten() {
                    keys.extend(pk(key));
                }
            }
        }
        "Query" => keys.extend(
            json["ExpressionAttributeValues"][":pk"]["S"]
                .as_str()
                .map(str::to_owned),
        ),
        _ => keys.extend(pk(&json["Key"]).or_else(|| pk(&json["Item"]))),
    }
    keys
}

fn dynamodb_permissions(operation: &str, json: &Value, names: &ResourceNames) -> Vec<Permission> {
    let mut permissions = dynamodb_actions(operation, json, names);
    permissions.extend(
        partition_keys(operation, json)
            .iter()
            .map(|pk| Permission::new(LEADING_KEYS, leading_key_pattern(pk))),
    );
    permissions
}

fn dynamodb_actions(operation: &str, json: &Value, names: &ResourceNames) -> Vec<Permission> {
    let table = |value: &Value| names.logical(value["TableName"].as_str().unwrap_or_default());
    let action = |name: &str| format!("dynamodb:{name}");
    match operation {
        "TransactWriteItems" | "TransactGetItems" => json["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let (kind, spec) = item.as_object()?.iter().next()?;
                let name = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => return None,
                };
                Some(Permission::new(&action(name), table(spec)))
            })
            .collect(),
        "BatchWriteItem" | "BatchGetItem" => json["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| Permission::new(&action(operation), names.logical(name)))
            .collect(),
        _ => {
            let mut resource = table(json);
            if let Some(index) = json["IndexName"].as_str() {
                resource = format!("{resource}/index/{index}");
            }
            vec![Permission::new(&action(operation), resource)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::contract::wildcard_match;

    fn names() -> ResourceNames {
        ResourceNames::new(&HashMap::from([
            ("Table".to_owned(), "t-1-Table".to_owned()),
            (
                "EventsQueue".to_owned(),
                "http://127.0.0.1:5000/123456789012/t-1-events".to_owned(),
            ),
            ("ArchiveBucket".to_owned(), "t-1-archive".to_owned()),
            (
                "DataKeySecret".to_owned(),
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:t-1-DataKeySecret-AbCdEf"
                    .to_owned(),
            ),
        ]))
    }

    #[test]
    fn requests_become_the_actions_aws_authorises_them_by() {
        let transact = serde_json::json!({"TransactItems": [
            {"Put": {"TableName": "t-1-Table", "Item": {}}},
            {"Update": {"TableName": "t-1-Table", "Key": {}}},
            {"ConditionCheck": {"TableName": "t-1-Table", "Key": {}}},
        ]});
        let body = serde_json::to_vec(&transact).expect("json");
        assert_eq!(
            permissions_of("DynamoDB", "TransactWriteItems", "", Some(&body), &names()),
            [
                Permission::new("dynamodb:PutItem", "Table"),
                Permission::new("dynamodb:UpdateItem", "Table"),
                Permission::new("dynamodb:ConditionCheckItem", "Table"),
            ]
        );
        let query = br#"{"TableName": "t-1-Table", "IndexName": "gsi1"}"#;
        assert_eq!(
            permissions_of("DynamoDB", "Query", "", Some(query), &names()),
            [Permission::new("dynamodb:Query", "Table/index/gsi1")]
        );
        let send = br#"{"QueueUrl": "http://localhost:5000/123456789012/t-1-events"}"#;
        assert_eq!(
            permissions_of("SQS", "SendMessageBatch", "", Some(send), &names()),
            [Permission::new("sqs:SendMessage", "EventsQueue")]
        );
        assert_eq!(
            permissions_of(
                "S3",
                "PutObject",
                "http://127.0.0.1:5000/t-1-archive/raw/ten_1/github/2026/12/06/d.json?x-id=PutObject",
                None,
                &names()
            ),
            [Permission::new("s3:PutObject", "ArchiveBucket/raw/*/github/*")]
        );
        assert_eq!(
            permissions_of(
                "S3",
                "HeadObject",
                "http://127.0.0.1:5000/t-1-archive/messages/ten_1/msg_1.json",
                None,
                &names()
            ),
            [Permission::new("s3:GetObject", "ArchiveBucket/messages/*")]
        );
        let secret = br#"{"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:t-1-DataKeySecret-AbCdEf"}"#;
        assert_eq!(
            permissions_of(
                "Secrets Manager",
                "GetSecretValue",
                "",
                Some(secret),
                &names()
            ),
            [Permission::new(
                "secretsmanager:GetSecretValue",
                "DataKeySecret"
            )]
        );
    }

    #[test]
    fn partition_keys_become_patterns_that_keep_a_tenants_partitions_apart() {
        let tenant = "ten_01JD0000000000000000000000";
        let ids = "?".repeat(tenant.len());
        assert_eq!(
            leading_key_pattern(&format!("TENANT#{tenant}")),
            format!("TENANT#{ids}")
        );
        assert_eq!(
            leading_key_pattern(&format!("TENANT#{tenant}#INCIDENT")),
            format!("TENANT#{ids}#INCIDENT")
        );
        assert_eq!(
            leading_key_pattern("DEDUP#int_01JD0000000000000000000000#gh-1"),
            format!("DEDUP#{ids}#*")
        );
        assert_eq!(leading_key_pattern("KEY#lrqgjo6c06vc"), "KEY#*");
        assert!(wildcard_match(
            &format!("TENANT#{ids}"),
            &format!("TENANT#{ids}")
        ));
        assert!(!wildcard_match(
            &format!("TENANT#{ids}"),
            &format!("TENANT#{ids}#AUDIT")
        ));
        assert!(wildcard_match(
            "ArchiveBucket/raw/*",
            "ArchiveBucket/raw/*/generic/*"
        ));
        assert!(!wildcard_match(
            "ArchiveBucket/messages/*",
            "ArchiveBucket/raw/*/generic/*"
        ));
        let transact = serde_json::json!({"TransactItems": [
            {"Put": {"TableName": "t-1-Table", "Item": {"pk": {"S": format!("TENANT#{tenant}#INCIDENT")}}}},
            {"ConditionCheck": {"TableName": "t-1-Table", "Key": {"pk": {"S": "OUTBOX#3"}}}},
        ]});
        let body = serde_json::to_vec(&transact).expect("json");
        let keys: Vec<String> =
            permissions_of("DynamoDB", "TransactWriteItems", "", Some(&body), &names())
                .into_iter()
                .filter(|p| p.action == LEADING_KEYS)
                .map(|p| p.resource)
                .collect();
        assert_eq!(
            keys,
            [format!("TENANT#{ids}#INCIDENT"), "OUTBOX#*".to_owned()]
        );
    }
}
