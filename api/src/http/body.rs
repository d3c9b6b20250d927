//! `JsonBody<T>`: a JSON request body like poem-openapi's `Json<T>` (same media type, same
//! schema in the spec), but a body that does not fit the schema is answered with 422
//! `validation_failed` naming the field at fault, in German or English. poem-openapi's own
//! parse errors say what was expected but not where, which leaves an app developer guessing.
//!
//! The body is checked against the schema before it is parsed, strictly: poem-openapi would
//! take `-1` or `true` for a string field and store `"-1"`. The check lists at most
//! [`MAX_LISTED_FIELD_ERRORS`] faults and counts the rest, so a small hostile body cannot make
//! the server build a huge answer.

use std::{
    any::TypeId,
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
};

use poem::{FromRequest, Request, RequestBody, Result, http::Method};
use poem_openapi::{
    payload::{ParsePayload, Payload},
    registry::{MetaSchema, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::Value;

use crate::error::{ApiError, ErrorCode, FieldError, MAX_LISTED_FIELD_ERRORS, Text};

/// A JSON request body whose schema mismatches are reported per field.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        content_type.parse::<mime::Mime>().is_ok_and(|mime| {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        })
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + ParseFromJSON + 'static> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        let value: Value = if data.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&data).map_err(|err| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    Text::new(
                        format!("Der Inhalt der Anfrage ist kein gültiges JSON: {err}"),
                        format!("The request body is not valid JSON: {err}"),
                    ),
                )
            })?
        };
        // PostgreSQL cannot store NUL in text; a client that sends one gets told where.
        let mut nul_fields = Vec::new();
        find_nul(&value, "", &mut nul_fields);
        if !nul_fields.is_empty() {
            return Err(ApiError::validation(
                nul_fields
                    .into_iter()
                    .map(|f| {
                        FieldError::new(
                            f,
                            Text::new(
                                "Enthält ein unzulässiges Steuerzeichen (NUL).",
                                "Contains a forbidden control character (NUL).",
                            ),
                        )
                    })
                    .collect(),
            )
            .into());
        }
        let mut value = value;
        clean_texts(&mut value);
        let registry = registry_of::<T>();
        let mut findings = Findings {
            null_clears: request.method() == Method::PATCH,
            ..Findings::default()
        };
        check(&registry, &T::schema_ref(), &value, "", &mut findings);
        if !findings.listed.is_empty() {
            return Err(
                ApiError::validation_with_count(findings.listed, findings.not_listed).into(),
            );
        }
        T::parse_from_json(Some(value)).map(Self).map_err(|err| {
            // Not located (should not happen): still a clear answer, with the reason.
            let reason = err.into_message();
            ApiError::new(
                ErrorCode::BadRequest,
                Text::new(
                    format!("Der Inhalt der Anfrage passt nicht zu dieser Operation: {reason}"),
                    format!("The request body does not fit this operation: {reason}"),
                ),
            )
            .into()
        })
    }
}

/// A signed webhook's body: published as JSON of `T`'s schema, but handed over as the raw
/// bytes, because the signature covers the bytes exactly as sent. Verify first, parse second.
#[derive(Debug, Clone)]
pub struct SignedJson<T> {
    pub raw: Vec<u8>,
    _schema: std::marker::PhantomData<T>,
}

impl<T: Type> Payload for SignedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        JsonBody::<T>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + 'static> ParsePayload for SignedJson<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> Result<Self> {
        let raw = Vec::<u8>::from_request(request, body).await?;
        Ok(Self {
            raw,
            _schema: std::marker::PhantomData,
        })
    }
}

/// The schemas the check of a `T` body walks, built once per type: `T::register` visits every
/// nested type and clones its schema, work that need not be repeated on every request.
fn registry_of<T: Type + 'static>() -> Arc<Registry> {
    static REGISTRIES: OnceLock<RwLock<HashMap<TypeId, Arc<Registry>>>> = OnceLock::new();
    let registries = REGISTRIES.get_or_init(RwLock::default);
    let known = registries
        .read()
        .ok()
        .and_then(|map| map.get(&TypeId::of::<T>()).cloned());
    if let Some(registry) = known {
        return registry;
    }
    let mut registry = Registry::new();
    T::register(&mut registry);
    let registry = Arc::new(registry);
    if let Ok(mut map) = registries.write() {
        map.entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::clone(&registry));
    }
    registry
}

/// The faults found so far: the first few with their texts, the rest only counted.
#[derive(Default)]
struct Findings {
    listed: Vec<FieldError>,
    not_listed: u32,
    /// In a PATCH, `null` for one of the body's own fields means "clear it" (absent means
    /// "leave it"), so a `null` for a field that is not nullable is a fault, not a silent
    /// "unchanged". Elsewhere, and inside a value that replaces a whole object, an optional
    /// field may be `null` as if it were absent, as it always could.
    null_clears: bool,
}

impl Findings {
    fn push(&mut self, field: &str, message: impl FnOnce() -> Text) {
        if self.listed.len() < MAX_LISTED_FIELD_ERRORS {
            self.listed.push(FieldError::new(field, message()));
        } else {
            self.not_listed = self.not_listed.saturating_add(1);
        }
    }
}

/// Every text of the body through [`domain::text::clean`] (NFC, no control or bidi characters,
/// empty when nothing visible is left), before any rule sees it; a text that is empty after
/// cleaning then fails its field's rule like an empty one. Passwords are left exactly as
/// typed: they are hashed, never shown, and changing them would lock their owner out.
fn clean_texts(value: &mut Value) {
    match value {
        Value::String(text) => {
            let cleaned = domain::text::clean(text);
            if cleaned != *text {
                *text = cleaned;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_texts),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if !key.contains("password") {
                    clean_texts(item);
                }
            }
        }
        _ => {}
    }
}

fn find_nul(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains('\0') => found.push(if path.is_empty() {
            "body".into()
        } else {
            path.to_owned()
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul(item, &format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                find_nul(item, &join(path, key), found);
            }
        }
        _ => {}
    }
}

fn resolve<'a>(registry: &'a Registry, schema: &'a MetaSchemaRef) -> Option<&'a MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(schema) => Some(schema),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

/// A field of the body itself (`name`), not one inside a value (`event.ends_at`, `ids[0]`).
fn is_top_level(path: &str) -> bool {
    !path.is_empty() && !path.contains(['.', '['])
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Walks the value along the schema and records every field that does not fit.
fn check(
    registry: &Registry,
    schema: &MetaSchemaRef,
    value: &Value,
    path: &str,
    errors: &mut Findings,
) {
    let Some(schema) = resolve(registry, schema) else {
        return;
    };
    if value.is_null() && schema.nullable {
        return;
    }
    // A property with a description is `allOf: [$ref, {description}]`; check the ref.
    if !schema.all_of.is_empty() && schema.properties.is_empty() {
        for part in &schema.all_of {
            check(registry, part, value, path, errors);
        }
        return;
    }
    let field = if path.is_empty() { "body" } else { path };
    if value.is_null() {
        if errors.null_clears && is_top_level(path) {
            errors.push(field, || {
                Text::new(
                    "Diese Angabe lässt sich nicht leeren; zum Beibehalten bitte weglassen.",
                    "This field cannot be cleared; leave it out to keep it unchanged.",
                )
            });
        } else {
            errors.push(field, || expected(schema));
        }
        return;
    }
    match schema.ty {
        "object" => {
            let Some(object) = value.as_object() else {
                errors.push(field, || expected(schema));
                return;
            };
            for (name, property) in &schema.properties {
                let child = join(path, name);
                match object.get(*name) {
                    None | Some(Value::Null) if schema.required.contains(name) => errors
                        .push(&child, || {
                            Text::new("Diese Angabe fehlt.", "This field is required.")
                        }),
                    None => {}
                    Some(Value::Null) if !(errors.null_clears && path.is_empty()) => {}
                    Some(v) => check(registry, property, v, &child, errors),
                }
            }
        }
        "array" => match (value.as_array(), &schema.items) {
            // Too many elements: one fault for the list, its elements are not looked at.
            (Some(items), _) if schema.max_items.is_some_and(|max| items.len() > max) => {
                let max = schema.max_items.unwrap_or_default();
                errors.push(field, || {
                    Text::new(
                        format!("Höchstens {max} Einträge sind erlaubt."),
                        format!("At most {max} entries are allowed."),
                    )
                });
            }
            (Some(items), _) if schema.min_items.is_some_and(|min| items.len() < min) => {
                let min = schema.min_items.unwrap_or_default();
                errors.push(field, || {
                    Text::new(
                        format!("Mindestens {min} Einträge sind nötig."),
                        format!("At least {min} entries are needed."),
                    )
                });
            }
            (Some(items), Some(item_schema)) => {
                for (index, item) in items.iter().enumerate() {
                    check(
                        registry,
                        item_schema,
                        item,
                        &format!("{path}[{index}]"),
                        errors,
                    );
                }
            }
            (None, _) => errors.push(field, || expected(schema)),
            _ => {}
        },
        _ if !fits_scalar(schema, value) => errors.push(field, || expected(schema)),
        _ => {
            if let Some(fault) = outside_limits(schema, value) {
                errors.push(field, || fault);
            }
        }
    }
}

/// A value of the right type that breaks a declared limit (length, range).
fn outside_limits(schema: &MetaSchema, value: &Value) -> Option<Text> {
    if let Some(text) = value.as_str() {
        let length = text.chars().count();
        if let Some(max) = schema.max_length
            && length > max
        {
            return Some(Text::new(
                format!("Höchstens {max} Zeichen sind erlaubt."),
                format!("At most {max} characters are allowed."),
            ));
        }
        if let Some(min) = schema.min_length
            && length < min
        {
            return Some(Text::new(
                format!("Mindestens {min} Zeichen sind nötig."),
                format!("At least {min} characters are needed."),
            ));
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(max) = schema.maximum
            && number > max
        {
            return Some(Text::new(
                format!("Höchstens {max} ist erlaubt."),
                format!("At most {max} is allowed."),
            ));
        }
        if let Some(min) = schema.minimum
            && number < min
        {
            return Some(Text::new(
                format!("Mindestens {min} ist nötig."),
                format!("At least {min} is needed."),
            ));
        }
    }
    None
}

fn fits_scalar(schema: &MetaSchema, value: &Value) -> bool {
    if !schema.enum_items.is_empty() {
        return schema.enum_items.contains(value);
    }
    match schema.ty {
        "string" => value.as_str().is_some_and(|s| match schema.format {
            Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Some("date") => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            _ => true,
        }),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => {
            let (min, max): (i128, i128) = match schema.format {
                Some("int8") => (i8::MIN.into(), i8::MAX.into()),
                Some("int16") => (i16::MIN.into(), i16::MAX.into()),
                Some("int32") => (i32::MIN.into(), i32::MAX.into()),
                Some("uint8") => (0, u8::MAX.into()),
                Some("uint16") => (0, u16::MAX.into()),
                Some("uint32") => (0, u32::MAX.into()),
                Some("uint64") => (0, u64::MAX.into()),
                _ => (i64::MIN.into(), i64::MAX.into()),
            };
            value
                .as_i64()
                .map(i128::from)
                .or_else(|| value.as_u64().map(i128::from))
                .is_some_and(|n| n >= min && n <= max)
        }
        _ => true,
    }
}

/// "Expected: …" in words a person understands.
fn expected(schema: &MetaSchema) -> Text {
    if !schema.enum_items.is_empty() {
        let choices: Vec<String> = schema
            .enum_items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let list = choices.join(", ");
        return Text::new(
            format!("Erlaubt sind: {list}."),
            format!("Allowed values: {list}."),
        );
    }
    let (de, en) = match (schema.ty, schema.format) {
        ("string", Some("uuid")) => ("eine UUID", "a UUID"),
        ("string", Some("date-time")) => (
            "ein Zeitpunkt nach RFC 3339, z. B. 2026-05-01T08:30:00Z",
            "an RFC 3339 timestamp such as 2026-05-01T08:30:00Z",
        ),
        ("string", Some("date")) => ("ein Datum wie 2026-05-01", "a date such as 2026-05-01"),
        ("string", _) => ("ein Text", "a string"),
        ("integer", Some(f)) if f.starts_with('u') => (
            "eine ganze Zahl ab 0 im gültigen Bereich",
            "a non-negative integer in range",
        ),
        ("integer", _) => ("eine ganze Zahl im gültigen Bereich", "an integer in range"),
        ("number", _) => ("eine Zahl", "a number"),
        ("boolean", _) => ("true oder false", "true or false"),
        ("array", _) => ("eine Liste", "a list"),
        _ => ("ein Objekt", "an object"),
    };
    Text::new(format!("Erwartet wird {de}."), format!("Expected {en}."))
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + ParseFromJSON + 'static);
poem_openapi::impl_apirequest_for_payload!(SignedJson<T>, T: Type + 'static);
