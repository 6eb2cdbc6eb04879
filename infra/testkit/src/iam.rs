//! The IAM contract: what each function's tests make it do on AWS, against what `template.yaml`
//! grants it.
//!
//! An SDK interceptor on the function's clients records every request a handler sends, as the IAM
//! actions AWS authorises it by (a `TransactWriteItems` is authorised item by item as
//! `PutItem`/`UpdateItem`/`DeleteItem`/`ConditionCheckItem`; `SendMessageBatch` as `SendMessage`;
//! `HeadObject` as `GetObject`…) on the template's logical resources (`Table`,
//! `Table/index/gsi1`, `EventsQueue`, `ArchiveBucket/raw/*/github/*`, `DataKeySecret`). When
//! `FAULTLINE_IAM_USAGE_DIR` is set, each test process appends what it saw to
//! `<dir>/<package>.tsv` (the package is the function: `faultline-api`, …). `make test` then runs
//! the `iam-contract` check, which fails when a function did something its policy does not grant,
//! or is granted something it never did.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The environment variable naming the folder usage is written to.
pub const USAGE_DIR: &str = "FAULTLINE_IAM_USAGE_DIR";

/// One IAM action on one resource, as the template names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// `dynamodb:GetItem`.
    pub action: String,
    /// A logical id, with a suffix for indexes and object prefixes: `Table/index/gsi1`.
    pub resource: String,
}

impl Permission {
    fn new(action: &str, resource: impl Into<String>) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.into(),
        }
    }
}

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
                "PutObject"
                | "CreateMultipartUpload"
                | "UploadPart"
                | "CompleteMultipartUpload" => ("PutObject", object),
                "DeleteObject" | "DeleteObjects" => ("DeleteObject", object),
                other => (other, object),
            };
            vec![Permission::new(&format!("s3:{action}"), resource)]
        }
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

/// The IAM action under which the partition keys a request touches are recorded
/// (`dynamodb:LeadingKeys` is the condition key IAM checks them with).
pub const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

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

/// Records the permissions a function's requests need and appends new ones to its usage file.
#[derive(Clone, Debug)]
pub struct UsageRecorder {
    names: Arc<ResourceNames>,
    file: PathBuf,
}

/// What this process has written already (every test's stack shares the file).
static SEEN: Mutex<BTreeSet<Permission>> = Mutex::new(BTreeSet::new());

impl UsageRecorder {
    /// A recorder for this test process's package, when `FAULTLINE_IAM_USAGE_DIR` is set and the
    /// package is a function (the `faultline-…` packages under `functions/`).
    pub fn for_this_process(physical_ids: &HashMap<String, String>) -> Option<Self> {
        let dir = std::env::var_os(USAGE_DIR)?;
        let package = std::env::var("CARGO_PKG_NAME").ok()?;
        let manifest = std::env::var("CARGO_MANIFEST_DIR").ok()?;
        let is_function = Path::new(&manifest)
            .parent()
            .is_some_and(|p| p.ends_with("functions"));
        if !is_function {
            return None;
        }
        std::fs::create_dir_all(&dir).ok()?;
        Some(Self {
            names: Arc::new(ResourceNames::new(physical_ids)),
            file: Path::new(&dir).join(format!("{package}.tsv")),
        })
    }

    fn record(&self, permissions: Vec<Permission>) {
        let Ok(mut seen) = SEEN.lock() else {
            return;
        };
        let mut lines = String::new();
        for permission in permissions {
            if seen.insert(permission.clone()) {
                lines.push_str(&format!("{}\t{}\n", permission.action, permission.resource));
            }
        }
        if lines.is_empty() {
            return;
        }
        // One append per call: lines from parallel test processes never interleave mid-line.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
        {
            let _ = file.write_all(lines.as_bytes());
        }
    }
}

impl Intercept for UsageRecorder {
    fn name(&self) -> &'static str {
        "UsageRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let request = context.request();
            self.record(permissions_of(
                metadata.service(),
                metadata.name(),
                request.uri(),
                request.body().bytes(),
                &self.names,
            ));
        }
        Ok(())
    }
}

/// Every usage file in `dir`: permissions by function binary (the file's name).
pub fn read_usage(dir: &Path) -> std::io::Result<BTreeMap<String, BTreeSet<Permission>>> {
    let mut usage = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(binary) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".tsv"))
        else {
            continue;
        };
        let permissions: BTreeSet<Permission> = std::fs::read_to_string(&path)?
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(action, resource)| Permission::new(action, resource))
            .collect();
        usage.insert(binary.to_owned(), permissions);
    }
    Ok(usage)
}

/// The logical resource an IAM `Resource` entry names: `Ref: X` and `Fn::GetAtt: [X, Arn]` give
/// `X`; `Fn::Sub: "${X.Arn}/rest"` gives `X/rest`; a literal `*` stays `*`.
fn granted_resource(value: &Yaml) -> Option<String> {
    if let Some(target) = value.get("Ref").and_then(Yaml::as_str) {
        return Some(target.to_owned());
    }
    if let Some(parts) = value.get("Fn::GetAtt").and_then(Yaml::as_sequence) {
        return parts.first().and_then(Yaml::as_str).map(str::to_owned);
    }
    if let Some(sub) = value.get("Fn::Sub").and_then(Yaml::as_str) {
        let rest = sub.strip_prefix("${")?;
        let (reference, suffix) = rest.split_once('}')?;
        let logical = reference.split('.').next()?;
        return Some(format!("{logical}{suffix}"));
    }
    value.as_str().map(str::to_owned)
}

fn as_list(value: Option<&Yaml>) -> Vec<Yaml> {
    match value {
        Some(Yaml::Sequence(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    }
}

/// What the template grants each function (by binary), from the `Statement`s of its `Policies`.
/// A policy that is not an inline statement (a SAM policy template or a managed policy) is an
/// error: its actions cannot be checked.
pub fn template_grants(template: &str) -> Result<BTreeMap<String, BTreeSet<Permission>>, String> {
    let root: Yaml = serde_yaml::from_str(template).map_err(|e| e.to_string())?;
    let resources = root
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .ok_or("the template has no Resources")?;
    let mut grants = BTreeMap::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Yaml::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap_or_default();
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Yaml::as_str)
            .ok_or_else(|| format!("{id}: no Metadata.BuildProperties.Binary"))?;
        let mut granted = BTreeSet::new();
        let properties = resource.get("Properties");
        for policy in as_list(properties.and_then(|p| p.get("Policies"))) {
            let statements = policy
                .get("Statement")
                .ok_or_else(|| format!("{id}: a policy that is not an inline Statement"))?;
            for statement in as_list(Some(statements)) {
                if statement.get("Effect").and_then(Yaml::as_str) != Some("Allow") {
                    continue;
                }
                let leading_keys = statement
                    .get("Condition")
                    .and_then(|c| c.get("ForAllValues:StringLike"))
                    .and_then(|c| c.get(LEADING_KEYS));
                for pattern in as_list(leading_keys) {
                    let pattern = pattern
                        .as_str()
                        .ok_or_else(|| format!("{id}: a leading key pattern"))?;
                    granted.insert(Permission::new(LEADING_KEYS, pattern));
                }
                let actions = as_list(statement.get("Action"));
                let targets = as_list(statement.get("Resource"));
                for action in &actions {
                    for target in &targets {
                        let action = action.as_str().ok_or_else(|| format!("{id}: an action"))?;
                        let target = granted_resource(target)
                            .ok_or_else(|| format!("{id}: a resource it cannot read"))?;
                        granted.insert(Permission::new(action, target));
                    }
                }
            }
        }
        grants.insert(binary.to_owned(), granted);
    }
    Ok(grants)
}

/// Where code and template disagree, for one function.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Disagreement {
    /// Used by its tests, not granted (would fail on AWS).
    pub missing: BTreeSet<Permission>,
    /// Granted, never used (more privilege than it needs).
    pub unused: BTreeSet<Permission>,
}

/// Whether a grant allows a use: the same action, and the grant's resource equals the used one
/// or matches it as an IAM wildcard (`*` any run of characters, `?` one): a grant on
/// `ArchiveBucket/raw/*` covers a use recorded as `ArchiveBucket/raw/*/generic/*`.
fn covers(grant: &Permission, used: &Permission) -> bool {
    grant.action == used.action
        && (grant.resource == used.resource || wildcard_match(&grant.resource, &used.resource))
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Classic two-pointer glob with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// Compares usage with grants, function by function; a function with no recorded usage is
/// reported as missing from the run (its tests did not record).
pub fn compare(
    usage: &BTreeMap<String, BTreeSet<Permission>>,
    grants: &BTreeMap<String, BTreeSet<Permission>>,
) -> BTreeMap<String, Disagreement> {
    let empty = BTreeSet::new();
    grants
        .keys()
        .chain(usage.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|function| {
            let mut used = usage.get(function).unwrap_or(&empty).clone();
            // A name outside the deployment is one a test broke on purpose (a bucket that does
            // not exist, to make a step fail): nothing a policy could grant.
            used.retain(|u| !u.resource.starts_with('?'));
            let granted = grants.get(function).unwrap_or(&empty);
            // Partition keys are checked only where the policy restricts them.
            if !granted.iter().any(|g| g.action == LEADING_KEYS) {
                used.retain(|u| u.action != LEADING_KEYS);
            }
            let disagreement = Disagreement {
                missing: used
                    .iter()
                    .filter(|u| !granted.iter().any(|g| covers(g, u)))
                    .cloned()
                    .collect(),
                unused: granted
                    .iter()
                    .filter(|g| !used.iter().any(|u| covers(g, u)))
                    .cloned()
                    .collect(),
            };
            (disagreement != Disagreement::default()).then(|| (function.clone(), disagreement))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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

    const TEMPLATE: &str = r#"
Resources:
  ReceiverFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: faultline-receiver}}
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem]
              Resource:
                - Fn::GetAtt: [Table, Arn]
            - Effect: Allow
              Action: s3:PutObject
              Resource:
                Fn::Sub: "${ArchiveBucket.Arn}/raw/*/github/*"
            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: {Ref: DataKeySecret}
"#;

    #[test]
    fn the_template_grants_are_read_and_compared_both_ways() {
        let grants = template_grants(TEMPLATE).expect("grants");
        let receiver = &grants["faultline-receiver"];
        assert!(receiver.contains(&Permission::new("dynamodb:PutItem", "Table")));
        assert!(receiver.contains(&Permission::new(
            "s3:PutObject",
            "ArchiveBucket/raw/*/github/*"
        )));
        assert!(receiver.contains(&Permission::new(
            "secretsmanager:GetSecretValue",
            "DataKeySecret"
        )));
        let usage = BTreeMap::from([(
            "faultline-receiver".to_owned(),
            BTreeSet::from([
                Permission::new("dynamodb:GetItem", "Table"),
                Permission::new("dynamodb:PutItem", "Table"),
                Permission::new("dynamodb:Query", "Table/index/gsi1"),
                Permission::new("s3:PutObject", "ArchiveBucket/raw/*/github/*"),
            ]),
        )]);
        let found = compare(&usage, &grants);
        let receiver = &found["faultline-receiver"];
        assert_eq!(
            receiver.missing,
            BTreeSet::from([Permission::new("dynamodb:Query", "Table/index/gsi1")])
        );
        assert_eq!(
            receiver.unused,
            BTreeSet::from([Permission::new(
                "secretsmanager:GetSecretValue",
                "DataKeySecret"
            )])
        );
        let policy_template = TEMPLATE.replace(
            "        - Statement:",
            "        - DynamoDBCrudPolicy: {TableName: {Ref: Table}}\n        - Statement:",
        );
        assert!(
            template_grants(&policy_template).is_err(),
            "a SAM policy template cannot be checked"
        );
    }
}
