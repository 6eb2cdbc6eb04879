//! Reading `template.yaml`: the functions, what triggers each, and the environment they get.
//! Intrinsics are written in long form (`Ref:`, `Fn::GetAtt:`), so plain YAML reads them.

use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The template could not be read or uses something the local stack cannot host.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Not YAML.
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    /// A construct the local stack does not support.
    #[error("template: {0}")]
    Unsupported(String),
}

/// What invokes a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// An HttpApi route.
    Http {
        /// Upper-case method.
        method: String,
        /// Path with `{param}` segments.
        path: String,
    },
    /// An SQS event source.
    Sqs {
        /// Logical id of the queue.
        queue: String,
        /// Records per batch.
        batch_size: usize,
    },
    /// A DynamoDB stream event source.
    Stream {
        /// Logical id of the table whose stream it reads.
        table: String,
        /// Records per batch at most.
        batch_size: usize,
        /// Its filter patterns (JSON), if any.
        filters: Vec<String>,
    },
    /// A `rate(...)` schedule.
    Schedule {
        /// The period.
        every: Duration,
    },
}

/// One `AWS::Serverless::Function`.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// Its logical id.
    pub logical_id: String,
    /// The binary cargo-lambda builds for it (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// What invokes it.
    pub triggers: Vec<Trigger>,
}

/// The parts of the template the local stack needs.
#[derive(Clone, Debug)]
pub struct Template {
    /// The file's text (deployed as is).
    pub body: String,
    /// Its functions.
    pub functions: Vec<FunctionSpec>,
    /// Logical ids of secrets (moto's CloudFormation does not create them).
    pub secrets: Vec<String>,
    /// Parameter defaults.
    pub parameters: BTreeMap<String, String>,
    /// `Globals.Function.Environment.Variables`, unresolved.
    pub environment: BTreeMap<String, Value>,
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The logical id in `Fn::GetAtt: [Id, Attr]` or `Ref: Id`.
pub(crate) fn referenced_id(value: &Value) -> Option<String> {
    if let Some(target) = value.get("Ref") {
        return scalar(target);
    }
    match value.get("Fn::GetAtt")? {
        Value::Sequence(parts) => parts.first().and_then(scalar),
        Value::String(dotted) => dotted.split('.').next().map(str::to_owned),
        _ => None,
    }
}

/// Parses `rate(5 minutes)`-style expressions.
pub fn parse_rate(expression: &str) -> Option<Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (amount, unit) = inner.trim().split_once(' ')?;
    let amount: u64 = amount.parse().ok()?;
    let secs = match unit.trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        _ => return None,
    };
    Some(Duration::from_secs(amount * secs))
}

fn trigger(name: &str, event: &Value) -> Result<Option<Trigger>, TemplateError> {
    let kind = event.get("Type").and_then(scalar).unwrap_or_default();
    let props = event
        .get("Properties")
        .cloned()
        .unwrap_or(Value::Mapping(Mapping::new()));
    let unsupported = |what: &str| TemplateError::Unsupported(format!("event {name}: {what}"));
    Ok(match kind.as_str() {
        "HttpApi" => Some(Trigger::Http {
            method: props
                .get("Method")
                .and_then(scalar)
                .ok_or_else(|| unsupported("no Method"))?
                .to_uppercase(),
            path: props
                .get("Path")
                .and_then(scalar)
                .ok_or_else(|| unsupported("no Path"))?,
        }),
        "SQS" => Some(Trigger::Sqs {
            queue: props
                .get("Queue")
                .and_then(referenced_id)
                .ok_or_else(|| unsupported("Queue must be Fn::GetAtt"))?,
            batch_size: props
                .get("BatchSize")
                .and_then(scalar)
                .and_then(|s| s.parse().ok())
                .unwrap_or(10),
        }),
        "DynamoDB" => Some(Trigger::Stream {
            table: props
                .get("Stream")
                .and_then(referenced_id)
                .ok_or_else(|| unsupported("Stream must be Fn::GetAtt [Table, StreamArn]"))?,
            batch_size: props
                .get("BatchSize")
                .and_then(scalar)
                .and_then(|s| s.parse().ok())
                .unwrap_or(100),
            filters: props
                .get("FilterCriteria")
                .and_then(|c| c.get("Filters"))
                .and_then(Value::as_sequence)
                .map(|filters| {
                    filters
                        .iter()
                        .filter_map(|f| f.get("Pattern").and_then(scalar))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        "ScheduleV2" | "Schedule" => {
            let expression = props
                .get("ScheduleExpression")
                .and_then(scalar)
                .unwrap_or_default();
            Some(Trigger::Schedule {
                every: parse_rate(&expression)
                    .ok_or_else(|| unsupported("only rate(...) schedules run locally"))?,
            })
        }
        other => return Err(unsupported(&format!("type {other} is not hosted locally"))),
    })
}

impl Template {
    /// Parses the template text.
    pub fn parse(body: &str) -> Result<Self, TemplateError> {
        let root: Value = serde_yaml::from_str(body)?;
        let empty = Value::Mapping(Mapping::new());
        let resources = root
            .get("Resources")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let mut functions = Vec::new();
        let mut secrets = Vec::new();
        for (id, resource) in &resources {
            let id = scalar(id).unwrap_or_default();
            match resource.get("Type").and_then(scalar).as_deref() {
                Some("AWS::SecretsManager::Secret") => secrets.push(id),
                Some("AWS::Serverless::Function") => {
                    let binary = get(resource, &["Metadata", "BuildProperties", "Binary"])
                        .and_then(scalar)
                        .ok_or_else(|| {
                            TemplateError::Unsupported(format!(
                                "{id}: no Metadata.BuildProperties.Binary"
                            ))
                        })?;
                    let events = get(resource, &["Properties", "Events"]).unwrap_or(&empty);
                    let mut triggers = Vec::new();
                    for (name, event) in events.as_mapping().into_iter().flatten() {
                        if let Some(t) = trigger(&scalar(name).unwrap_or_default(), event)? {
                            triggers.push(t);
                        }
                    }
                    functions.push(FunctionSpec {
                        logical_id: id,
                        binary,
                        triggers,
                    });
                }
                _ => {}
            }
        }
        let parameters = root
            .get("Parameters")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, spec)| Some((scalar(name)?, spec.get("Default").and_then(scalar)?)))
            .collect();
        let environment = get(&root, &["Globals", "Function", "Environment", "Variables"])
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((scalar(name)?, value.clone())))
            .collect();
        Ok(Self {
            body: body.to_owned(),
            functions,
            secrets,
            parameters,
            environment,
        })
    }

    /// Resolves the global environment against deployed resources (`Ref` to a parameter gives its
    /// default, to a resource its physical id).
    pub fn resolve_environment(
        &self,
        physical_ids: &std::collections::HashMap<String, String>,
    ) -> Result<BTreeMap<String, String>, TemplateError> {
        self.environment
            .iter()
            .map(|(name, value)| {
                let resolved = scalar(value).or_else(|| {
                    let target = value.get("Ref").and_then(scalar)?;
                    self.parameters
                        .get(&target)
                        .or_else(|| physical_ids.get(&target))
                        .cloned()
                });
                resolved.map(|v| (name.clone(), v)).ok_or_else(|| {
                    TemplateError::Unsupported(format!(
                        "cannot resolve environment variable {name} locally"
                    ))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
