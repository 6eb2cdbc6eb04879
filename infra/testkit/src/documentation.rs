//! Checking an answer against the OpenAPI document, strictly.

use serde_json::Value;

/// Checks an answer against a schema of the OpenAPI document `doc` (its `$ref`s resolve into the
/// document's components) with a JSON Schema 2020-12 validator, strictly: an object the document
/// describes may not carry a field the document does not name.
pub fn conforms_to_documentation(doc: &Value, schema: &Value, body: &Value) -> Result<(), String> {
    let mut components = doc["components"].clone();
    // Schemas that are parts of an `allOf` describe only some of an object's fields; the others
    // are closed.
    let text = doc.to_string();
    if let Some(schemas) = components["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            let in_all_of = text.contains(&format!(
                "\"allOf\":[{{\"$ref\":\"#/components/schemas/{name}\""
            ));
            if !in_all_of {
                close_objects(schema);
            }
        }
    }
    let mut root = schema.clone();
    close_objects(&mut root);
    let mut root = serde_json::json!({"allOf": [root]});
    root["components"] = components;
    root["$schema"] = Value::String("https://json-schema.org/draft/2020-12/schema".into());
    let validator = jsonschema::validator_for(&root).map_err(|e| format!("schema: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Sets `additionalProperties: false` on every object schema with named properties and no rule of
/// its own for other fields.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, value) in map.iter_mut() {
                if key != "allOf" {
                    close_objects(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::conforms_to_documentation;
    use serde_json::json;

    #[test]
    fn an_undocumented_field_or_a_wrong_type_fails_the_documentation_check() {
        let doc = json!({"components": {"schemas": {
            "ThingView": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "inner": {"$ref": "#/components/schemas/InnerView"},
            }},
            "InnerView": {"type": "object", "properties": {"n": {"type": "integer"}}},
        }}});
        let schema = json!({"$ref": "#/components/schemas/ThingView"});
        assert_eq!(
            conforms_to_documentation(&doc, &schema, &json!({"id": "t", "inner": {"n": 1}})),
            Ok(())
        );
        for wrong in [
            json!({"id": "t", "surprise": 1}),
            json!({"id": "t", "inner": {"n": 1, "surprise": true}}),
            json!({"id": 7}),
            json!({"inner": {"n": 1}}),
        ] {
            assert!(
                conforms_to_documentation(&doc, &schema, &wrong).is_err(),
                "{wrong} passed"
            );
        }
    }
}
