//! Open311 GeoReport v2, as an existing Open311 client uses it: discover the services and the
//! district attribute, file with an `api_key`, read the request back as the district works on
//! it; errors in the Open311 shape; keys issued and revoked by administrators only.

use poem::http::Method;
use serde_json::json;

use crate::support::{
    Cast, Reply, TestApp, get_anonymous, get_as, id_of, post_json, send, send_empty, spawn_cast,
};

/// A key for an integrator, issued by the admin.
async fn api_key(app: &TestApp, crew: &Cast) -> (String, String) {
    let reply = post_json(
        app,
        "/api/v1/api-clients",
        Some(&crew.admin.access),
        json!({"name": "Bauhof Ballenstedt"}),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    let key = body["api_key"].as_str().expect("api_key").to_owned();
    (id_of(&body["client"]), key)
}

/// `application/x-www-form-urlencoded`, every byte outside the unreserved set escaped.
fn form(fields: &[(&str, &str)]) -> String {
    let escape = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", escape(name), escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// POST requests.json, form-encoded.
async fn file_reply(app: &TestApp, fields: &[(&str, &str)]) -> Reply {
    let body = form(fields);
    let response = app
        .client
        .post("/open311/v2/requests.json")
        .content_type("application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    Reply::checked(&Method::POST, "/open311/v2/requests.json", response).await
}

fn pothole(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "strassen-wege"),
        ("lat", "51.718923"),
        ("long", "11.232156"),
        ("attribute[district]", "rieder"),
        ("description", "Tiefes Schlagloch vor der Bushaltestelle."),
        ("first_name", "Erna"),
        ("last_name", "Schulze"),
        ("email", "erna@example.org"),
    ]
}

/// Asserts an error in the Open311 shape: `[{"code": status, "description": …}]`.
#[track_caller]
fn assert_open311_error(reply: &Reply, status: u16) -> String {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "content type: {:?}",
        reply.header("content-type")
    );
    let body = reply.json();
    let errors = body.as_array().unwrap_or_else(|| panic!("a list: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["code"], status, "{body}");
    errors[0]["description"]
        .as_str()
        .unwrap_or_else(|| panic!("description: {body}"))
        .to_owned()
}

#[tokio::test]
async fn an_open311_client_files_a_request_and_follows_it_to_closed() {
    let (app, crew) = spawn_cast().await;
    let (_, key) = api_key(&app, &crew).await;
    let services = get_anonymous(&app, "/open311/v2/services.json").await;
    assert_eq!(services.status, 200, "{}", services.text);
    let services = services.json();
    let roads = services
        .as_array()
        .and_then(|all| all.iter().find(|s| s["service_code"] == "strassen-wege"))
        .unwrap_or_else(|| panic!("{services}"))
        .clone();
    assert_eq!(roads["service_name"], "Straßen und Wege");
    assert_eq!(roads["metadata"], true);
    assert_eq!(roads["type"], "realtime");
    let definition = get_anonymous(&app, "/open311/v2/services/strassen-wege.json")
        .await
        .json();
    let attribute = &definition["attributes"][0];
    assert_eq!(attribute["code"], "district");
    assert_eq!(attribute["datatype"], "singlevaluelist");
    assert_eq!(attribute["required"], true);
    assert!(
        attribute["values"]
            .as_array()
            .is_some_and(|v| v.iter().any(|d| d["key"] == "rieder")),
        "{definition}"
    );

    let filed = file_reply(&app, &pothole(&key)).await;
    assert_eq!(filed.status, 200, "{}", filed.text);
    let filed = filed.json();
    let id = filed[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned();
    assert!(filed[0]["account_id"].is_null(), "{filed}");
    // In Rieder's queue, private, with the reporter for the handlers.
    let anliegen = get_as(&app, &format!("/api/v1/anliegen/{id}"), &crew.leader.access)
        .await
        .json();
    assert_eq!(anliegen["kind"], "defect");
    assert_eq!(anliegen["author"]["name"], "Erna Schulze");
    assert_eq!(anliegen["author"]["source"], "open311");
    assert_eq!(anliegen["topic"]["slug"], "strassen-wege");
    assert_eq!(anliegen["location"]["lat"], 51.718923);
    // Not public yet: the public gets 404; the key that filed it reads it.
    let path = format!("/open311/v2/requests/{id}.json");
    assert_open311_error(&get_anonymous(&app, &path).await, 404);
    let own = get_anonymous(&app, &format!("{path}?api_key={key}")).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.json()[0]["status"], "open");
    assert_eq!(
        own.json()[0]["description"],
        "Tiefes Schlagloch vor der Bushaltestelle."
    );

    // The district publishes it and closes it; the Open311 view follows.
    let published = post_json(
        &app,
        &format!("/api/v1/anliegen/{id}/publish"),
        Some(&crew.leader.access),
        json!({"title": "Schlagloch", "description": "Schlagloch an der Bushaltestelle.", "show_location": true}),
    )
    .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let public = get_anonymous(&app, &path).await;
    assert_eq!(public.status, 200, "{}", public.text);
    let request = &public.json()[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["description"], "Schlagloch an der Bushaltestelle.");
    assert_eq!(request["service_code"], "strassen-wege");
    assert_eq!(request["agency_responsible"], "Ortsteil Rieder");
    assert_eq!(request["lat"], 51.718923);
    assert_eq!(request["long"], 11.232156);
    assert!(
        request["requested_datetime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{request}"
    );
    assert!(!public.text.contains("Erna"), "{}", public.text);
    let closed = post_json(
        &app,
        &format!("/api/v1/anliegen/{id}/transitions"),
        Some(&crew.leader.access),
        json!({"to": "done", "answer": "Das Loch ist geflickt."}),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    let after = get_anonymous(&app, &path).await.json();
    assert_eq!(after[0]["status"], "closed");
    assert_eq!(after[0]["status_notes"], "Das Loch ist geflickt.");
    // And in the list, with the standard filters.
    let listed = get_anonymous(&app, "/open311/v2/requests.json?status=closed")
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let open = get_anonymous(&app, "/open311/v2/requests.json?status=open")
        .await
        .json();
    assert_eq!(open, json!([]));
    let by_id = get_anonymous(
        &app,
        &format!("/open311/v2/requests.json?service_request_id={id}"),
    )
    .await;
    assert_eq!(by_id.json()[0]["service_request_id"], id.as_str());
    let other_service =
        get_anonymous(&app, "/open311/v2/requests.json?service_code=beleuchtung").await;
    assert_eq!(other_service.json(), json!([]));
}

#[tokio::test]
async fn without_a_valid_key_nothing_is_filed_and_keys_are_the_admins() {
    let (app, crew) = spawn_cast().await;
    let (client_id, key) = api_key(&app, &crew).await;
    let mut without = pothole(&key);
    without.retain(|(name, _)| *name != "api_key");
    assert_open311_error(&file_reply(&app, &without).await, 403);
    let mut wrong = pothole(&key);
    wrong[0] = ("api_key", "nicht-der-schluessel");
    assert_open311_error(&file_reply(&app, &wrong).await, 403);
    // Revoked: refused at once.
    let revoked = send_empty(
        &app,
        Method::DELETE,
        &format!("/api/v1/api-clients/{client_id}"),
        Some(&crew.admin.access),
    )
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert_open311_error(&file_reply(&app, &pothole(&key)).await, 403);
    let listed = get_as(&app, "/api/v1/api-clients", &crew.admin.access)
        .await
        .json();
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    assert!(
        !listed.to_string().contains(&key),
        "the key is shown once only"
    );
    // Only admins issue, list and revoke keys.
    for who in [&crew.resident, &crew.leader, &crew.dispatcher] {
        let issued = post_json(
            &app,
            "/api/v1/api-clients",
            Some(&who.access),
            json!({"name": "x"}),
        )
        .await;
        issued.assert_problem(403, "forbidden");
        get_as(&app, "/api/v1/api-clients", &who.access)
            .await
            .assert_problem(403, "forbidden");
    }
    send(&app, Method::GET, "/api/v1/api-clients", None, &[], None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn bad_arguments_are_answered_in_the_open311_shape() {
    let (app, crew) = spawn_cast().await;
    let (_, key) = api_key(&app, &crew).await;
    // (fields changed, status, the field the description names)
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("service_code", "gibt-es-nicht")], 404, "service_code"),
        (vec![("lat", "91"), ("long", "11")], 400, "lat"),
        (vec![("long", "")], 400, "long"),
        (
            vec![("attribute[district]", "")],
            400,
            "attribute[district]",
        ),
        (
            vec![("attribute[district]", "atlantis")],
            400,
            "attribute[district]",
        ),
        (vec![("description", "")], 400, "description"),
        (vec![("media_url", "file:///etc/passwd")], 400, "media_url"),
        (vec![("phone", "bitte anrufen")], 400, "phone"),
    ];
    for (changes, status, field) in cases {
        let mut fields = pothole(&key);
        for (name, value) in changes {
            if let Some(entry) = fields.iter_mut().find(|(n, _)| *n == name) {
                entry.1 = value;
            } else {
                fields.push((name, value));
            }
        }
        let description = assert_open311_error(&file_reply(&app, &fields).await, status);
        assert!(description.contains(field), "{field}: {description}");
    }
    // Without any place.
    let mut nowhere = pothole(&key);
    nowhere.retain(|(n, _)| *n != "lat" && *n != "long");
    assert_open311_error(&file_reply(&app, &nowhere).await, 400);
    // With an address instead of a point: fine.
    nowhere.push(("address_string", "Lindenstraße 12"));
    assert_eq!(file_reply(&app, &nowhere).await.status, 200);
    for path in [
        "/open311/v2/requests.json?start_date=gestern",
        "/open311/v2/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
        "/open311/v2/requests.json?status=erledigt",
        "/open311/v2/requests.json?service_request_id=kaputt",
        "/open311/v2/services/strassen-wege.xml",
    ] {
        assert_open311_error(&get_anonymous(&app, path).await, 400);
    }
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let too_many = format!(
        "/open311/v2/requests.json?service_request_id={}",
        many.join(",")
    );
    assert_open311_error(&get_anonymous(&app, &too_many).await, 400);
    assert_open311_error(
        &get_anonymous(&app, "/open311/v2/services/gibt-es-nicht.json").await,
        404,
    );
    assert_open311_error(
        &get_anonymous(&app, "/open311/v2/requests/kein-anliegen.json").await,
        404,
    );
    // A JSON body where the specification wants a form.
    let json_body = send(
        &app,
        Method::POST,
        "/open311/v2/requests.json",
        None,
        &[],
        Some(&json!({"api_key": key})),
    )
    .await;
    assert_eq!(
        json_body.json()[0]["code"],
        json_body.status.as_u16(),
        "{}",
        json_body.text
    );
}

#[tokio::test]
async fn one_key_files_at_most_a_hundred_an_hour() {
    let (app, crew) = spawn_cast().await;
    let (_, key) = api_key(&app, &crew).await;
    for _ in 0..100 {
        assert_eq!(file_reply(&app, &pothole(&key)).await.status, 200);
    }
    let refused = file_reply(&app, &pothole(&key)).await;
    assert_open311_error(&refused, 429);
    assert!(refused.header("retry-after").is_some());
    app.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(file_reply(&app, &pothole(&key)).await.status, 200);
}
