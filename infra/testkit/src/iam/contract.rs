//! What `template.yaml` grants each function, and where that and the recorded usage disagree.

use super::{Permission, LEADING_KEYS};
use serde_yaml::Value as Yaml;
use std::collections::{BTreeMap, BTreeSet};

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

pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
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
