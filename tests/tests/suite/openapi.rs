//! The spec is the product for integrators: the committed copy equals what the server
//! generates, and every operation and field is documented.

use serde_json::Value;

use crate::support::TestApp;

fn committed(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const REGENERATE: &str = "the committed spec is stale; regenerate it with\n  \
    cargo run -q -- openapi > openapi/openapi.json && cargo run -q -- openapi --yaml > openapi/openapi.yaml";

#[test]
fn committed_json_equals_the_generated_document() {
    let generated = dorfapp::http::spec::json();
    assert!(
        committed("openapi.json").trim_end() == generated.trim_end(),
        "{REGENERATE}"
    );
}

#[test]
fn committed_yaml_equals_the_generated_document() {
    let generated = dorfapp::http::spec::yaml();
    assert!(
        committed("openapi.yaml").trim_end() == generated.trim_end(),
        "{REGENERATE}"
    );
}

#[tokio::test]
async fn the_server_serves_the_committed_document_and_the_docs() {
    let app = TestApp::spawn().await;
    let served = app.get("/openapi.json").await;
    assert_eq!(served.status, 200);
    let committed: Value = serde_json::from_str(&committed("openapi.json")).expect("json");
    assert!(
        served.json() == committed,
        "/openapi.json differs from openapi/openapi.json"
    );

    let yaml = app.get("/openapi.yaml").await;
    assert_eq!(yaml.status, 200);
    let yaml: Value = serde_yaml::from_str(&yaml.text).expect("yaml");
    assert!(
        yaml == committed,
        "/openapi.yaml differs from openapi/openapi.json"
    );

    let docs = app.get("/docs").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "Swagger UI page");
}

#[test]
fn every_operation_has_an_id_a_tag_a_summary_and_documented_errors() {
    let spec: Value = serde_json::from_str(&dorfapp::api_service().spec()).expect("json");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let name = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: operationId"));
            assert!(
                ids.insert(id.to_owned()),
                "{name}: operationId {id} is not unique"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: tag"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            assert!(
                op["description"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: description"
            );
            for param in op["parameters"].as_array().into_iter().flatten() {
                assert!(
                    param["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{name}: parameter {param}"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            if path.starts_with("/api/") {
                let problem =
                    &responses["404"]["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{name}: errors use the Problem schema"
                );
            }
        }
    }
}

#[test]
fn every_schema_property_has_a_description() {
    let spec: Value = serde_json::from_str(&dorfapp::api_service().spec()).expect("json");
    for (schema_name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        for (property, definition) in schema["properties"].as_object().into_iter().flatten() {
            let described = definition["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
                || definition["allOf"].as_array().is_some_and(|all| {
                    all.iter()
                        .any(|a| a["description"].as_str().is_some_and(|d| !d.is_empty()))
                });
            assert!(described, "{schema_name}.{property} has no description");
        }
    }
}

/// What made client generators drop schemas and linters fail (issue 15): checked on the
/// committed document.
#[test]
fn every_generator_can_read_the_document() {
    let spec: Value = serde_json::from_str(&committed("openapi.json")).expect("json");
    fn walk(value: &Value, at: &str, faults: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(Value::Array(members)) = object.get("allOf") {
                    for member in members {
                        let typed = ["$ref", "type", "properties", "allOf", "oneOf", "anyOf"]
                            .iter()
                            .any(|k| member.get(k).is_some());
                        if !typed {
                            faults.push(format!("{at}: allOf member without a type: {member}"));
                        }
                    }
                }
                for (key, item) in object {
                    walk(item, &format!("{at}/{key}"), faults);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{i}"), faults);
                }
            }
            _ => {}
        }
    }
    let mut faults = Vec::new();
    walk(&spec, "", &mut faults);
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            if operation.get("security").is_none() {
                faults.push(format!(
                    "{method} {path}: no security requirement (public: [])"
                ));
            }
        }
    }
    if spec["servers"].as_array().is_none_or(Vec::is_empty) {
        faults.push("no servers entry".into());
    }
    assert!(faults.is_empty(), "{faults:#?}");
}
