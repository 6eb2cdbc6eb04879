//! Checking a JSON value against the JSON Schemas Faultline documents (the event catalogue, the
//! OpenAPI answers), strictly: a key the code emits that the schema does not list is an error, so
//! documentation cannot fall behind the code unnoticed. Supports what those schemas use: `$ref`
//! into `#/components/schemas`, `allOf` (properties merged), `oneOf`/`anyOf`, `type` (with
//! unions), `enum`, `const`, `required`, `properties`, `additionalProperties` (maps), `items`,
//! and `pattern` prefixes.

use serde_json::{Map, Value};

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &root["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// `allOf` branches merged into one schema (properties and required lists joined).
fn merged(schema: &Value, root: &Value) -> Value {
    let Some(branches) = schema.get("allOf").and_then(Value::as_array) else {
        return schema.clone();
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for branch in branches {
        let branch = merged(resolve(branch, root), root);
        if let Some(p) = branch.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = branch.get("required").and_then(Value::as_array) {
            required.extend(r.clone());
        }
    }
    serde_json::json!({"type": "object", "properties": properties, "required": required})
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `value` conforms to `schema`; `root` is the document `$ref`s point into, `path` names
/// the place in errors.
pub fn conforms(value: &Value, schema: &Value, root: &Value, path: &str) -> Result<(), String> {
    let schema = merged(resolve(schema, root), root);
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let errors: Vec<String> = options
                .iter()
                .filter_map(|option| conforms(value, option, root, path).err())
                .collect();
            if errors.len() == options.len() {
                return Err(format!(
                    "{path}: matches none of {key}: {}",
                    errors.join("; ")
                ));
            }
            return Ok(());
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            return Err(format!("{path}: {value} not in {options:?}"));
        }
    }
    if let Some(expected) = schema.get("const") {
        if expected != value {
            return Err(format!("{path}: {value} is not {expected}"));
        }
    }
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = type_name(value);
        let integer_as_number = actual == "integer" && kinds.contains(&"number");
        if !(kinds.contains(&actual) || integer_as_number) {
            return Err(format!("{path}: {actual} is not {kinds:?}"));
        }
    }
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) {
        if !text.starts_with(pattern.trim_start_matches('^')) {
            return Err(format!("{path}: {text} does not match {pattern}"));
        }
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for key in required.iter().filter_map(Value::as_str) {
            if value.get(key).is_none() {
                return Err(format!("{path}: `{key}` is missing"));
            }
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties");
        for (key, item) in object {
            match (properties.and_then(|p| p.get(key)), extra) {
                (Some(sub), _) => conforms(item, sub, root, &format!("{path}.{key}"))?,
                (None, Some(Value::Bool(false))) | (None, None) if properties.is_some() => {
                    return Err(format!("{path}: `{key}` is emitted but not in the schema"));
                }
                (None, Some(sub)) if sub.is_object() => {
                    conforms(item, sub, root, &format!("{path}.{key}"))?
                }
                _ => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            conforms(item, items, root, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undocumented_keys_wrong_types_and_missing_fields_are_caught() {
        let root = json!({"components": {"schemas": {"Thing": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": "string"}, "n": {"type": ["integer", "null"]}}}}}});
        let thing = json!({"$ref": "#/components/schemas/Thing"});
        assert!(conforms(&json!({"id": "a", "n": null}), &thing, &root, "$").is_ok());
        assert!(conforms(&json!({"id": "a", "extra": 1}), &thing, &root, "$").is_err());
        assert!(conforms(&json!({"id": 1}), &thing, &root, "$").is_err());
        assert!(conforms(&json!({"n": 1}), &thing, &root, "$").is_err());
        let extended = json!({"allOf": [thing, {"properties": {"changes": {"type": "array"}}}]});
        assert!(conforms(&json!({"id": "a", "changes": []}), &extended, &root, "$").is_ok());
        let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
        assert!(conforms(&json!({"x-a": "1"}), &map, &root, "$").is_ok());
        assert!(conforms(&json!({"x-a": 1}), &map, &root, "$").is_err());
    }
}
