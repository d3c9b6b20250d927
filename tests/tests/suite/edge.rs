//! The edge: every error is problem+json with a stable code, in German unless asked otherwise;
//! request ids; body limit; compression; CORS. Framework errors that the app's own operations
//! cannot provoke yet (JSON bodies, bearer tokens, panics) are checked on a small API wrapped in
//! exactly the same edge layers as the app.

use dorfapp::config::Settings;
use poem::{http::StatusCode, test::TestClient};
use poem_openapi::{Object, OpenApi, OpenApiService, SecurityScheme, auth::Bearer, payload::Json};

use dorfapp::http::body::JsonBody;

use crate::support::{Reply, TestApp, boxed};

#[tokio::test]
async fn an_unknown_path_is_a_404_problem_in_german_by_default() {
    let app = TestApp::spawn().await;
    let reply = app.get("/api/v1/no-such-thing").await;
    let body = reply.assert_problem(404, "not_found");
    assert_eq!(body["title"], "Nicht gefunden");
    assert_eq!(reply.header("content-language"), Some("de"));
}

#[tokio::test]
async fn accept_language_en_gives_english_texts() {
    let app = TestApp::spawn().await;
    let reply = Reply::from(
        app.client
            .get("/api/v1/no-such-thing")
            .header("Accept-Language", "en-GB,en;q=0.9")
            .send()
            .await,
    )
    .await;
    let body = reply.assert_problem(404, "not_found");
    assert_eq!(body["title"], "Not found");
    assert_eq!(body["detail"], "The requested resource does not exist.");
    assert_eq!(reply.header("content-language"), Some("en"));
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = TestApp::spawn().await;
    let reply = Reply::from(app.client.delete("/api/v1/districts").send().await).await;
    reply.assert_problem(405, "method_not_allowed");
    // RFC 9110: a 405 says which methods the resource has.
    assert_eq!(
        reply.header("allow"),
        Some("GET, POST"),
        "{:?}",
        reply.headers
    );
    let district = app.get("/api/v1/districts").await.json()[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("/api/v1/districts/{district}");
    let reply = Reply::from(app.client.post(&path).send().await).await;
    reply.assert_problem(405, "method_not_allowed");
    let allow = reply.header("allow").expect("Allow").to_owned();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
}

#[tokio::test]
async fn request_ids_are_generated_or_echoed_when_sane() {
    let app = TestApp::spawn().await;
    let generated = app.get("/api/v1/districts").await;
    let id = generated.header("x-request-id").expect("generated id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let echoed = Reply::from(
        app.client
            .get("/api/v1/districts")
            .header("X-Request-Id", "app-4711.retry-2")
            .send()
            .await,
    )
    .await;
    assert_eq!(echoed.header("x-request-id"), Some("app-4711.retry-2"));

    let hostile = "x".repeat(300);
    let replaced = Reply::from(
        app.client
            .get("/api/v1/districts")
            .header("X-Request-Id", &hostile)
            .send()
            .await,
    )
    .await;
    let id = replaced.header("x-request-id").expect("id");
    assert_ne!(id, hostile);
    assert!(uuid::Uuid::parse_str(id).is_ok());

    let problem = Reply::from(
        app.client
            .get("/nowhere")
            .header("X-Request-Id", "trace-1")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        problem.assert_problem(404, "not_found")["request_id"],
        "trace-1"
    );
}

#[tokio::test]
async fn answers_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get("/openapi.json")
        .header("Accept-Encoding", "gzip")
        .send()
        .await;
    response.assert_status_is_ok();
    response.assert_header("content-encoding", "gzip");
    // A shared cache must keep compressed and plain copies apart.
    for accept in ["gzip", "identity"] {
        let response = app
            .client
            .get("/api/v1/districts")
            .header("Accept-Encoding", accept)
            .send()
            .await;
        let vary: Vec<String> = response
            .0
            .headers()
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|n| n.trim().to_ascii_lowercase()))
            .collect();
        assert!(
            vary.contains(&"accept-encoding".to_owned()),
            "{accept}: {vary:?}"
        );
    }
}

#[tokio::test]
async fn cors_preflight_is_answered_and_origins_can_be_restricted() {
    let open = TestApp::spawn().await;
    let preflight = open
        .client
        .options("/api/v1/districts")
        .header("Origin", "https://app.example.org")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    preflight.assert_status_is_ok();
    preflight.assert_header_exist("access-control-allow-origin");

    let closed = TestApp::spawn_with(|s| s.cors_origins = "https://dorf.example".into()).await;
    let allowed = closed
        .client
        .get("/api/v1/districts")
        .header("Origin", "https://dorf.example")
        .send()
        .await;
    allowed.assert_header("access-control-allow-origin", "https://dorf.example");
    let refused = Reply::from(
        closed
            .client
            .options("/api/v1/districts")
            .header("Origin", "https://evil.example")
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await,
    )
    .await;
    assert!(refused.header("access-control-allow-origin").is_none());
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
}

// --- A small API with a JSON body, a bearer token and a panic, inside the app's edge. ---

#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
struct TestBearer(Bearer);

#[derive(Object)]
struct Greeting {
    name: String,
    times: u8,
}

struct ProbeApi;

#[OpenApi]
impl ProbeApi {
    #[oai(path = "/api/v1/probe", method = "post")]
    async fn post(&self, body: JsonBody<Greeting>) -> dorfapp::error::ApiResult<Json<String>> {
        Ok(Json(body.0.name.repeat(body.0.times as usize)))
    }

    #[oai(path = "/api/v1/probe/secret", method = "get")]
    async fn secret(&self, auth: TestBearer) -> dorfapp::error::ApiResult<Json<String>> {
        if auth.0.token == "let-me-in" {
            Ok(Json("ok".into()))
        } else {
            Err(dorfapp::error::ApiError::unauthorized())
        }
    }

    #[oai(path = "/api/v1/probe/panic", method = "get")]
    async fn panic(&self) -> Json<String> {
        panic!("database password is hunter22")
    }
}

fn probe() -> TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>> {
    let settings = Settings {
        body_limit_bytes: 1024,
        ..Settings::default()
    };
    let service = OpenApiService::new(ProbeApi, "probe", "1");
    TestClient::new(boxed(dorfapp::with_outer_edge(dorfapp::with_api_edge(
        poem::Route::new().nest("/", service),
        &settings,
    ))))
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let client = probe();
    let reply = Reply::from(
        client
            .post("/api/v1/probe")
            .content_type("application/json")
            .body("{\"name\": \"Anna\",")
            .send()
            .await,
    )
    .await;
    reply.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_body_that_does_not_fit_is_a_422_naming_every_field_at_fault() {
    let client = probe();
    let cases = [
        (
            "{\"name\": \"Anna\"}",
            vec![("times", "Diese Angabe fehlt.")],
        ),
        (
            "{\"name\": \"Anna\", \"times\": \"three\"}",
            vec![(
                "times",
                "Erwartet wird eine ganze Zahl ab 0 im gültigen Bereich.",
            )],
        ),
        (
            "{\"name\": \"Anna\", \"times\": 300}",
            vec![(
                "times",
                "Erwartet wird eine ganze Zahl ab 0 im gültigen Bereich.",
            )],
        ),
        (
            "{\"name\": 7, \"times\": null}",
            vec![
                ("name", "Erwartet wird ein Text."),
                ("times", "Diese Angabe fehlt."),
            ],
        ),
        ("[1, 2]", vec![("body", "Erwartet wird ein Objekt.")]),
        ("", vec![("body", "Erwartet wird ein Objekt.")]),
    ];
    for (body, expected) in cases {
        let reply = Reply::from(
            client
                .post("/api/v1/probe")
                .content_type("application/json")
                .body(body)
                .send()
                .await,
        )
        .await;
        let problem = reply.assert_problem(422, "validation_failed");
        let found: Vec<(String, String)> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().expect("field").to_owned(),
                    e["message"].as_str().expect("message").to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect();
        assert_eq!(found, expected, "body {body}");
    }
    let english = Reply::from(
        client
            .post("/api/v1/probe")
            .header("Accept-Language", "en")
            .content_type("application/json")
            .body("{\"name\": \"Anna\"}")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        english.assert_problem(422, "validation_failed")["errors"][0]["message"],
        "This field is required."
    );
    let ok = Reply::from(
        client
            .post("/api/v1/probe")
            .content_type("application/json")
            .body("{\"name\": \"ab\", \"times\": 2}")
            .send()
            .await,
    )
    .await;
    assert_eq!(ok.json(), "abab");
}

#[tokio::test]
async fn a_body_of_another_media_type_is_a_415_problem() {
    let client = probe();
    let reply = Reply::from(
        client
            .post("/api/v1/probe")
            .content_type("text/plain")
            .body("hello")
            .send()
            .await,
    )
    .await;
    reply.assert_problem(415, "unsupported_media_type");
    let reply = Reply::from(client.post("/api/v1/probe").body("{}").send().await).await;
    reply.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_announced_or_not() {
    let client = probe();
    let big = format!("{{\"name\": \"{}\", \"times\": 1}}", "a".repeat(2000));
    let reply = Reply::from(
        client
            .post("/api/v1/probe")
            .content_type("application/json")
            .body(big.clone())
            .send()
            .await,
    )
    .await;
    reply.assert_problem(413, "payload_too_large");

    // Chunked, without Content-Length: the limit holds while reading.
    let stream = futures::stream::iter(
        big.into_bytes()
            .chunks(100)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let reply = Reply::from(
        client
            .post("/api/v1/probe")
            .content_type("application/json")
            .body(poem::Body::from_bytes_stream(stream))
            .send()
            .await,
    )
    .await;
    reply.assert_problem(413, "payload_too_large");
}

#[tokio::test]
async fn missing_and_invalid_bearer_tokens_are_401_problems() {
    let client = probe();
    Reply::from(client.get("/api/v1/probe/secret").send().await)
        .await
        .assert_problem(401, "unauthorized");
    Reply::from(
        client
            .get("/api/v1/probe/secret")
            .header("Authorization", "Basic Zm9vOmJhcg==")
            .send()
            .await,
    )
    .await
    .assert_problem(401, "unauthorized");
    Reply::from(
        client
            .get("/api/v1/probe/secret")
            .header("Authorization", "Bearer wrong")
            .send()
            .await,
    )
    .await
    .assert_problem(401, "unauthorized");
    let ok = Reply::from(
        client
            .get("/api/v1/probe/secret")
            .header("Authorization", "Bearer let-me-in")
            .send()
            .await,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn a_panic_is_a_generic_500_problem_that_leaks_nothing() {
    let client = probe();
    let reply = Reply::from(client.get("/api/v1/probe/panic").send().await).await;
    let body = reply.assert_problem(500, "internal");
    assert!(!reply.text.contains("hunter22"), "{}", reply.text);
    assert_eq!(
        body["detail"],
        "Ein unerwarteter Fehler ist aufgetreten. Bitte später erneut versuchen."
    );
}
