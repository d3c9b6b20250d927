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
//! - The limits the rules enforce (lengths, patterns, ranges) are written into the schemas
//!   from the modules' `CONSTRAINTS`, which name the rules' own constants. They are not
//!   declared as poem-openapi validators: the rules answer with German texts, a validator
//!   would answer first and differently.
//! - Schemas no operation references but clients need (the push payload) are added.
//! - Operations without a security requirement get `security: []`: public, said explicitly.
//! - An empty `servers` becomes `[{url: "/"}]`: the API is served where the document is.
//! - Error answers: each operation keeps the 4xx its module's `ERRORS` table lists (read from
//!   the handlers and the rules they call), 412 only where it takes `If-Match`, 413 and 415
//!   only where it takes a body, and 500 and 503; each error answer gets a `Problem` example with its real code and the
//!   `Content-Language` header, 401 also `WWW-Authenticate` (RFC 6750). poem-openapi's
//!   `ApiResponse::meta` is one list for every operation and has no examples.
//! - Every answer documents `X-Request-Id`; every `/api/` operation the `Accept-Language`
//!   parameter. The edge layers add both to every route, outside poem-openapi.
//!
//! YAML is written here too, every string and key double-quoted: YAML 1.1 parsers (PyYAML,
//! SnakeYAML) read a plain `22:00` as the number 1320 and timestamps as dates.

use serde_json::{Map, Value, json};

/// Per operation id, the 4xx statuses (other than 412, 413 and 415) it can answer with.
pub type OperationErrors = &'static [(&'static str, &'static [u16])];

/// A rule the server enforces, as the published schema states it. The values come from the
/// constants the rules validate with, so the two cannot drift.
#[derive(Clone, Copy, Debug)]
pub enum Constraint {
    /// A required text: not blank (`pattern: ^\s*\S`, anchored because some generators match
    /// from the start), at most this many characters.
    Text(usize),
    /// At most this many characters.
    MaxLength(usize),
    /// Between this many characters.
    Length(usize, usize),
    /// A regular expression (ECMA 262, as OpenAPI says) the text matches.
    Pattern(&'static str),
    /// A number between these bounds, both included.
    Range(i64, i64),
    /// A `format` (`email`, `uri`, …).
    Format(&'static str),
}

/// A phone number's rules, the same wherever one is asked for (`domain::contact`).
pub const PHONE: &[Constraint] = &[
    Constraint::MaxLength(domain::contact::PHONE_MAX),
    Constraint::Pattern(domain::contact::PHONE_PATTERN),
];

/// Per schema and property, the rules a client can check before sending.
pub type SchemaConstraints = &'static [(&'static str, &'static str, &'static [Constraint])];

const CONSTRAINT_TABLES: &[SchemaConstraints] = &[
    super::anliegen::CONSTRAINTS,
    super::api_clients::CONSTRAINTS,
    super::auth::CONSTRAINTS,
    super::districts::CONSTRAINTS,
    super::events::CONSTRAINTS,
    super::event_shifts::CONSTRAINTS,
    super::me::CONSTRAINTS,
    super::media::CONSTRAINTS,
    super::news::CONSTRAINTS,
    super::organisations::CONSTRAINTS,
    super::polls::CONSTRAINTS,
    super::push::CONSTRAINTS,
    super::rides::CONSTRAINTS,
    super::shops::CONSTRAINTS,
    super::sms::CONSTRAINTS,
];

/// Query parameters with the same name and rule on every operation that takes them.
const PARAMETER_CONSTRAINTS: &[(&str, &[Constraint])] = &[
    (
        "limit",
        &[Constraint::Range(1, super::pagination::MAX_LIMIT as i64)],
    ),
    ("q", &[Constraint::MaxLength(domain::users::QUERY_MAX)]),
    (
        "week",
        &[Constraint::Pattern(domain::aushang::WEEK_PATTERN)],
    ),
];

fn constrain(schema: &mut Map<String, Value>, constraints: &[Constraint]) {
    for constraint in constraints {
        match *constraint {
            Constraint::Text(max) => {
                schema.insert("minLength".into(), json!(1));
                schema.insert("maxLength".into(), json!(max));
                schema.insert("pattern".into(), json!("^\\s*\\S"));
            }
            Constraint::MaxLength(max) => {
                schema.insert("maxLength".into(), json!(max));
            }
            Constraint::Length(min, max) => {
                schema.insert("minLength".into(), json!(min));
                schema.insert("maxLength".into(), json!(max));
            }
            Constraint::Pattern(pattern) => {
                schema.insert("pattern".into(), json!(pattern));
            }
            Constraint::Range(min, max) => {
                schema.insert("minimum".into(), json!(min));
                schema.insert("maximum".into(), json!(max));
            }
            Constraint::Format(format) => {
                schema.insert("format".into(), json!(format));
            }
        }
    }
}

/// Writes the modules' `CONSTRAINTS` into the schemas and the parameters; returns the rows
/// that name no property of the document (a test keeps that empty).
fn document_constraints(document: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    for (schema, property, constraints) in CONSTRAINT_TABLES.iter().flat_map(|t| t.iter()) {
        match document
            .pointer_mut(&format!(
                "/components/schemas/{schema}/properties/{property}"
            ))
            .and_then(Value::as_object_mut)
        {
            Some(target) => constrain(target, constraints),
            None => unknown.push(format!("{schema}.{property}")),
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for parameter in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|operations| operations.values_mut())
            .filter_map(|operation| operation.get_mut("parameters"))
            .filter_map(Value::as_array_mut)
            .flatten()
        {
            let Some((_, constraints)) = PARAMETER_CONSTRAINTS
                .iter()
                .find(|(name, _)| parameter["in"] == "query" && parameter["name"] == *name)
            else {
                continue;
            };
            if let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) {
                constrain(schema, constraints);
            }
        }
    }
    unknown
}

/// Every module's table; a test checks that they cover exactly the document's operations.
const ERROR_TABLES: &[OperationErrors] = &[
    super::anliegen::ERRORS,
    super::api_clients::ERRORS,
    super::auth::ERRORS,
    super::aushang::ERRORS,
    super::calendar::ERRORS,
    super::districts::ERRORS,
    super::events::ERRORS,
    super::event_shifts::ERRORS,
    super::me::ERRORS,
    super::media::ERRORS,
    super::news::ERRORS,
    super::open311::ERRORS,
    super::operations::ERRORS,
    super::organisations::ERRORS,
    super::polls::ERRORS,
    super::push::ERRORS,
    super::rides::ERRORS,
    super::shops::ERRORS,
    super::sms::ERRORS,
    super::users::ERRORS,
];

/// The 4xx statuses an operation can answer with, if its module lists it.
fn listed_errors(operation_id: &str) -> Option<&'static [u16]> {
    ERROR_TABLES
        .iter()
        .flat_map(|table| table.iter())
        .find(|(id, _)| *id == operation_id)
        .map(|(_, statuses)| *statuses)
}

/// The document as published.
pub fn document() -> Value {
    let mut document: Value =
        serde_json::from_str(&crate::api_service().spec()).unwrap_or_else(|_| json!({}));
    add_message_schemas(&mut document);
    document_constraints(&mut document);
    transform(&mut document);
    document
}

/// Schemas of what clients receive outside any answer, so that apps generate their types too:
/// the push payload a service worker decrypts. No operation references them, so poem-openapi
/// would leave them out.
fn add_message_schemas(document: &mut Value) {
    let mut registry = poem_openapi::registry::Registry::new();
    <super::push::PushPayload as poem_openapi::types::Type>::register(&mut registry);
    <super::open311::Open311Error as poem_openapi::types::Type>::register(&mut registry);
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in registry.schemas {
        if !schemas.contains_key(&name) {
            schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
        }
    }
    // The push is an out-of-band call that follows from subscribing: OpenAPI's callback.
    let subscribe = document
        .pointer_mut("/paths/~1api~1v1~1push~1subscriptions/post")
        .and_then(Value::as_object_mut);
    if let Some(subscribe) = subscribe {
        subscribe.insert("callbacks".into(), push_callback());
    }
}

/// The message that reaches the subscribed device, as a callback of `createPushSubscription`.
fn push_callback() -> Value {
    json!({
        "push": {
            "{$request.body#/endpoint}": {
                "post": {
                    "operationId": "receivePush",
                    "summary": "A push reaches the device",
                    "description": "For every inbox entry meant for the person, the server posts a Web Push message to the subscription's `endpoint` (RFC 8030), signed with VAPID (RFC 8292, the key of `getVapidPublicKey`) and encrypted for the device's keys (RFC 8291, `Content-Encoding: aes128gcm`). The push service hands it to the browser or app, whose service worker reads the decrypted body in its `push` event as this JSON (`event.data.json()`). The push service sees only ciphertext. Quiet hours and preferences decide when and whether a push is sent; the inbox has every entry either way.",
                    "tags": ["Push"],
                    "security": [],
                    "parameters": [
                        {"name": "TTL", "in": "header", "required": true, "description": "Seconds the push service keeps the message for an offline device: one day.", "schema": {"type": "integer", "example": 86400}},
                        {"name": "Urgency", "in": "header", "required": false, "description": "`high` for warnings, else `normal` (RFC 8030 section 5.3).", "schema": {"type": "string", "enum": ["normal", "high"]}},
                        {"name": "Topic", "in": "header", "required": false, "description": "Replaces an undelivered earlier push of the same topic (RFC 8030 section 5.4).", "schema": {"type": "string", "maxLength": 32}}
                    ],
                    "requestBody": {
                        "required": true,
                        "description": "The decrypted body; on the wire it is aes128gcm ciphertext of at most 4096 bytes.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushPayload"}}}
                    },
                    "responses": {
                        "201": {"description": "The push service took the message."},
                        "404": {"description": "The subscription is gone: the server removes it."},
                        "410": {"description": "The subscription expired or was withdrawn: the server removes it."},
                        "429": {"description": "The push service asks to slow down: the server retries after its `Retry-After`."}
                    }
                }
            }
        }
    })
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
    document_errors_and_headers(document);
    name_open311_paths(document);
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

/// Open311's paths end in `.json` after a variable (`requests/{service_request_id}.json`),
/// which poem-openapi's paths cannot say; the routes take the whole segment (`{file}`) and
/// the handlers cut the suffix. The document names them as Open311 does.
const OPEN311_PATHS: &[(&str, &str, &str, &str)] = &[
    (
        "/open311/v2/services/{file}",
        "/open311/v2/services/{service_code}.json",
        "service_code",
        "The service's `service_code`.",
    ),
    (
        "/open311/v2/requests/{file}",
        "/open311/v2/requests/{service_request_id}.json",
        "service_request_id",
        "The request's `service_request_id`.",
    ),
];

fn name_open311_paths(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (route, published, name, description) in OPEN311_PATHS {
        let Some(mut item) = paths.remove(*route) else {
            continue;
        };
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                if parameter.get("name") == Some(&json!("file")) {
                    parameter["name"] = json!(name);
                    parameter["description"] = json!(description);
                }
            }
        }
        paths.insert((*published).to_owned(), item);
    }
}

/// An error answer of an Open311 operation: Open311's list of `{code, description}`, with
/// what the status means there.
fn open311_error(code: u16, response: &mut Map<String, Value>) {
    let (meaning, example) = match code {
        400 => (
            "A bad or missing argument; the description names it.",
            "attribute[district]: Diesen Ortsteil gibt es nicht.",
        ),
        403 => (
            "`api_key` missing, unknown or revoked.",
            "api_key fehlt oder ist ungültig; einen Schlüssel vergibt die Verwaltung.",
        ),
        404 => (
            "No such service, or no such (published) request.",
            "Diese Meldung gibt es nicht.",
        ),
        429 => (
            "This key filed 100 requests in the last hour; `Retry-After` says when it may again.",
            "Höchstens 100 Meldungen pro Stunde und api_key.",
        ),
        413 => ("The body is too large.", "Die Anfrage ist zu groß."),
        415 => (
            "Not `application/x-www-form-urlencoded`.",
            "Dieses Format wird nicht angenommen.",
        ),
        _ => (
            "The server could not answer; try again shortly.",
            "Der Dienst ist gerade nicht erreichbar.",
        ),
    };
    response.insert("description".into(), json!(meaning));
    response.insert(
        "content".into(),
        json!({
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Open311Error"}
                },
                "example": [{"code": code, "description": example}]
            }
        }),
    );
}

const REQUEST_ID_HEADER: &str = "#/components/headers/RequestId";
const CONTENT_LANGUAGE_HEADER: &str = "#/components/headers/ContentLanguage";
const WWW_AUTHENTICATE_HEADER: &str = "#/components/headers/WwwAuthenticate";
const ACCEPT_LANGUAGE_PARAMETER: &str = "#/components/parameters/AcceptLanguage";

fn document_errors_and_headers(document: &mut Value) {
    let Some(root) = document.as_object_mut() else {
        return;
    };
    let mut error_statuses = std::collections::BTreeSet::new();
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, operations) in paths.iter_mut() {
            for operation in operations
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
                .filter_map(Value::as_object_mut)
            {
                error_statuses.extend(document_operation(path, operation));
            }
        }
    }
    let components = root
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(components) = components {
        // One example per error status, referenced from every answer with that status.
        let examples: Map<String, Value> = error_statuses
            .into_iter()
            .map(|status| {
                let example = crate::error::problem_example(status);
                let summary = format!("{status} {}", example["code"].as_str().unwrap_or(""));
                (
                    problem_example_name(status),
                    json!({"summary": summary, "value": example}),
                )
            })
            .collect();
        components.insert("examples".into(), Value::Object(examples));
        components.insert(
            "headers".into(),
            json!({
                "RequestId": {
                    "description": "The request's id: the one the client sent (up to 128 of `A-Za-z0-9-_.:/+=`), else one the server made. Error bodies repeat it as `request_id`; quote it when reporting a problem.",
                    "schema": {"type": "string", "maxLength": 128},
                    "example": "01932b6e-6f4c-7d3a-9a51-2f0c6c1e8b7a"
                },
                "WwwAuthenticate": {
                    "description": "`Bearer realm=\"dorfapp\"` (RFC 6750): send an access token as `Authorization: Bearer …`.",
                    "schema": {"type": "string"},
                    "example": "Bearer realm=\"dorfapp\""
                },
                "ContentLanguage": {
                    "description": "The language of the texts in the body: `de` (default) or `en`, as negotiated from `Accept-Language`.",
                    "schema": {"type": "string", "enum": ["de", "en"]},
                    "example": "de"
                }
            }),
        );
        let parameters = components.entry("parameters").or_insert_with(|| json!({}));
        if let Some(parameters) = parameters.as_object_mut() {
            parameters.insert(
                "AcceptLanguage".into(),
                json!({
                    "name": "Accept-Language",
                    "in": "header",
                    "required": false,
                    "description": "The language of texts meant for people (error titles and details): German by default, `en` for English; q-values are honoured, other languages fall back to German.",
                    "schema": {"type": "string"},
                    "example": "de-DE, en;q=0.5"
                }),
            );
        }
    }
}

fn problem_example_name(status: u16) -> String {
    format!("Problem{status}")
}

/// Documents one operation's answers (see the module text); returns the error statuses whose
/// `Problem` example it refers to.
fn document_operation(path: &str, operation: &mut Map<String, Value>) -> Vec<u16> {
    let mut referenced = Vec::new();
    let operation_id = operation
        .get("operationId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let takes_body = operation.contains_key("requestBody");
    let takes_if_match = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|parameters| {
            parameters.iter().any(|p| {
                p.get("in") == Some(&json!("header")) && p.get("name") == Some(&json!("If-Match"))
            })
        });
    if path.starts_with("/api/") {
        let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
        if let Some(parameters) = parameters.as_array_mut() {
            parameters.push(json!({"$ref": ACCEPT_LANGUAGE_PARAMETER}));
        }
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return referenced;
    };
    let listed = listed_errors(&operation_id);
    responses.retain(|status, _| match status.as_str() {
        "412" => takes_if_match,
        "413" | "415" => takes_body,
        "500" | "503" => true,
        other if other.starts_with('4') => {
            listed.is_none_or(|listed| other.parse().is_ok_and(|status| listed.contains(&status)))
        }
        _ => true,
    });
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or_default();
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        let Some(headers) = headers.as_object_mut() else {
            continue;
        };
        headers.insert("X-Request-Id".into(), json!({"$ref": REQUEST_ID_HEADER}));
        if code < 400 {
            continue;
        }
        headers.insert(
            "Content-Language".into(),
            json!({"$ref": CONTENT_LANGUAGE_HEADER}),
        );
        if code == 401 {
            headers.insert(
                "WWW-Authenticate".into(),
                json!({"$ref": WWW_AUTHENTICATE_HEADER}),
            );
        }
        if path.starts_with("/open311/") {
            open311_error(code, response);
            continue;
        }
        if let Some(media) = response
            .get_mut("content")
            .and_then(|content| content.get_mut("application/problem+json"))
            .and_then(Value::as_object_mut)
        {
            let name = problem_example_name(code);
            let reference = json!({"$ref": format!("#/components/examples/{name}")});
            media.insert("examples".into(), json!({ name: reference }));
            referenced.push(code);
        }
    }
    referenced
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
    fn every_constraint_names_a_property_and_reaches_the_document() {
        let mut generated: Value = serde_json::from_str(&crate::api_service().spec()).unwrap();
        add_message_schemas(&mut generated);
        assert_eq!(document_constraints(&mut generated), Vec::<String>::new());
        let published = document();
        let schemas = &published["components"]["schemas"];
        assert_eq!(
            schemas["CreateRide"]["properties"]["passengers"]["maximum"],
            4
        );
        assert_eq!(
            schemas["Register"]["properties"]["password"]["minLength"],
            domain::auth::passwords::MIN_LENGTH
        );
        let limit = published["paths"]["/api/v1/news"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(limit["schema"]["maximum"], 100);
    }

    #[test]
    fn every_operation_has_exactly_one_row_of_errors() {
        let generated: Value = serde_json::from_str(&crate::api_service().spec()).unwrap();
        let mut operations: Vec<String> = generated["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str().map(str::to_owned))
            .collect();
        operations.sort();
        let mut rows: Vec<String> = ERROR_TABLES
            .iter()
            .flat_map(|table| table.iter().map(|(id, _)| (*id).to_owned()))
            .collect();
        rows.sort();
        assert_eq!(
            rows, operations,
            "one row per operation in the modules' ERRORS"
        );
        for (id, statuses) in ERROR_TABLES.iter().flat_map(|table| table.iter()) {
            assert!(
                statuses
                    .iter()
                    .all(|s| (400..500).contains(s) && ![412, 413, 415].contains(s)),
                "{id}: only the operation's own 4xx belong in its row"
            );
        }

        let published = document();
        let statuses = |path: &str, method: &str| {
            published["paths"][path][method]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            statuses("/api/v1/auth/login", "post"),
            [
                "200", "400", "401", "413", "415", "422", "429", "500", "503"
            ]
        );
        assert_eq!(
            statuses("/api/v1/districts", "get"),
            ["200", "304", "500", "503"]
        );
    }

    #[test]
    fn error_answers_are_listed_where_they_can_happen_with_their_problem() {
        let problem = |status: u16| {
            (
                status.to_string(),
                json!({"description": "x", "content": {"application/problem+json": {"schema": {}}}}),
            )
        };
        let responses: Map<String, Value> = [
            ("200".to_owned(), json!({"description": "ok"})),
            problem(401),
            problem(412),
            problem(415),
            problem(422),
        ]
        .into_iter()
        .collect();
        let mut read = json!({"responses": responses.clone()});
        let mut change = json!({
            "responses": responses,
            "requestBody": {},
            "parameters": [{"in": "header", "name": "If-Match"}]
        });
        document_operation("/api/v1/x", read.as_object_mut().unwrap());
        document_operation("/health/live", change.as_object_mut().unwrap());

        let statuses = |op: &Value| {
            op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(statuses(&read), ["200", "401", "422"]);
        assert_eq!(statuses(&change), ["200", "401", "412", "415", "422"]);
        let unauthorized = &read["responses"]["401"];
        assert_eq!(
            unauthorized["content"]["application/problem+json"]["examples"]["Problem401"]["$ref"],
            "#/components/examples/Problem401"
        );
        assert_eq!(crate::error::problem_example(401)["code"], "unauthorized");
        assert_eq!(
            crate::error::problem_example(422)["errors"][0]["field"],
            "name"
        );
        assert!(unauthorized["headers"]["WWW-Authenticate"].is_object());
        assert!(unauthorized["headers"]["Content-Language"].is_object());
        assert_eq!(
            crate::error::problem_example(412)["code"],
            "precondition_failed"
        );
        assert!(read["responses"]["200"]["headers"]["X-Request-Id"].is_object());
        assert!(
            read["responses"]["200"]["headers"]
                .get("Content-Language")
                .is_none()
        );
        // Accept-Language on the API's operations, not on the probes.
        assert_eq!(
            read["parameters"],
            json!([{"$ref": ACCEPT_LANGUAGE_PARAMETER}])
        );
        assert_eq!(change["parameters"].as_array().map(Vec::len), Some(1));
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
