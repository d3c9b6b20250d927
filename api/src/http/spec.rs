//! The published OpenAPI document: what poem-openapi generates, passed through one transform
//! that makes it a document every mainstream client generator and linter accepts (issue 15).
//! The committed `openapi/` copy, `/openapi.json`, `/openapi.yaml` and `dorfapp openapi` all
//! come from here, so they cannot differ.
//!
//! What the transform changes, and why:
//! - A property that documents a referenced schema comes out of poem-openapi as
//!   `{description, allOf: [{$ref}, {description}]}`; a member without `type` makes
//!   openapi-python-client drop the schema and every operation using it. The second member
//!   goes (its keys are on the property already), leaving `allOf: [{$ref}]`.
//! - Operations without a security requirement get `security: []`: public, said explicitly.
//! - An empty `servers` becomes `[{url: "/"}]`: the API is served where the document is.
//!
//! YAML is written here too, every string and key double-quoted: YAML 1.1 parsers (PyYAML,
//! SnakeYAML) read a plain `22:00` as the number 1320 and timestamps as dates.

use serde_json::{Map, Value, json};

/// The document as published.
pub fn document() -> Value {
    let mut document: Value =
        serde_json::from_str(&crate::api_service().spec()).unwrap_or_else(|_| json!({}));
    transform(&mut document);
    document
}

/// The document as JSON, as committed in `openapi/openapi.json`.
pub fn json() -> String {
    serde_json::to_string_pretty(&document()).unwrap_or_default()
}

/// The document as YAML, as committed in `openapi/openapi.yaml`.
pub fn yaml() -> String {
    let mut out = String::new();
    write_yaml(&document(), 0, &mut out);
    out
}

fn transform(document: &mut Value) {
    simplify_all_of(document);
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operations in paths.values_mut() {
            for operation in operations
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                if let Some(operation) = operation.as_object_mut()
                    && !operation.contains_key("security")
                {
                    operation.insert("security".into(), json!([]));
                }
            }
        }
    }
    let servers = document.get("servers").and_then(Value::as_array);
    if servers.is_none_or(Vec::is_empty)
        && let Some(root) = document.as_object_mut()
    {
        root.insert(
            "servers".into(),
            json!([{"url": "/", "description": "The server that serves this document."}]),
        );
    }
}

/// `allOf: [{$ref}, {description, nullable}]` → `allOf: [{$ref}]`, when the outer schema
/// already carries what the second member says.
fn simplify_all_of(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let redundant = object
                .get("allOf")
                .and_then(Value::as_array)
                .filter(|members| members.len() == 2 && members[0].get("$ref").is_some())
                .and_then(|members| members[1].as_object())
                .is_some_and(|extra| only_annotations_repeated(extra, object));
            if redundant && let Some(Value::Array(members)) = object.get_mut("allOf") {
                members.truncate(1);
            }
            object.values_mut().for_each(simplify_all_of);
        }
        Value::Array(items) => items.iter_mut().for_each(simplify_all_of),
        _ => {}
    }
}

/// Whether `extra` holds only annotations (no type, no structure) that `outer` repeats.
fn only_annotations_repeated(extra: &Map<String, Value>, outer: &Map<String, Value>) -> bool {
    extra.iter().all(|(key, value)| {
        matches!(
            key.as_str(),
            "description" | "nullable" | "default" | "readOnly" | "writeOnly"
        ) && outer.get(key) == Some(value)
    })
}

/// Block-style YAML with every string and key in double quotes (JSON escapes are valid YAML
/// double-quoted escapes), so YAML 1.1 and 1.2 parsers read the same values as from the JSON.
fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(object) if !object.is_empty() => {
            for (key, item) in object {
                out.push_str(&pad);
                out.push_str(&quoted(key));
                out.push(':');
                write_nested(item, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                write_nested(item, indent, out);
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&scalar_yaml(scalar));
            out.push('\n');
        }
    }
}

/// The value after `key:` or `-`: inline when scalar or empty, else on the following lines.
fn write_nested(item: &Value, indent: usize, out: &mut String) {
    let nested = match item {
        Value::Object(object) => !object.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    };
    if nested {
        out.push('\n');
        write_yaml(item, indent + 2, out);
    } else {
        out.push(' ');
        out.push_str(&scalar_yaml(item));
        out.push('\n');
    }
}

fn scalar_yaml(value: &Value) -> String {
    match value {
        Value::String(text) => quoted(text),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_reference_keeps_one_member() {
        let mut schema = json!({
            "description": "Wann", "nullable": true,
            "allOf": [{"$ref": "#/components/schemas/Zeit"}, {"description": "Wann", "nullable": true}]
        });
        simplify_all_of(&mut schema);
        assert_eq!(
            schema["allOf"],
            json!([{"$ref": "#/components/schemas/Zeit"}])
        );
        // A member that adds something of its own stays.
        let mut composed =
            json!({"allOf": [{"$ref": "#/x"}, {"type": "object", "properties": {}}]});
        simplify_all_of(&mut composed);
        assert_eq!(composed["allOf"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn yaml_quotes_what_yaml_1_1_would_misread() {
        let mut out = String::new();
        write_yaml(
            &json!({"opens": "22:00", "200": {"at": "2026-06-20T07:30:00Z", "n": 3, "on": true,
                    "list": ["a", {"b": null}], "empty": {}, "none": []}}),
            0,
            &mut out,
        );
        assert_eq!(
            out,
            "\"200\":\n  \"at\": \"2026-06-20T07:30:00Z\"\n  \"empty\": {}\n  \"list\":\n    \
             - \"a\"\n    -\n      \"b\": null\n  \"n\": 3\n  \"none\": []\n  \"on\": true\n\
             \"opens\": \"22:00\"\n"
        );
    }
}
