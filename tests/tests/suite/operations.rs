//! Health, readiness and metrics.

use crate::support::{Reply, TestApp};

#[tokio::test]
async fn liveness_and_readiness_are_ok_while_the_database_answers() {
    let app = TestApp::spawn().await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json()["status"], "ok");
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200);
}

#[tokio::test]
async fn readiness_is_503_while_the_database_is_unreachable() {
    let app = TestApp::spawn().await;
    app.state.db.close_by_ref().await.expect("close pool");
    let ready = app.get("/health/ready").await;
    let body = ready.assert_problem(503, "unavailable");
    assert_eq!(body["detail"], "Die Datenbank ist nicht erreichbar.");
    assert!(ready.header("retry-after").is_some());
    // Liveness does not depend on the database: the process itself is fine.
    assert_eq!(app.get("/health/live").await.status, 200);
    // A request that needs the database is a 503 too, never a 500.
    app.get("/api/v1/districts")
        .await
        .assert_problem(503, "unavailable");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_pool() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/districts").await.json();
    let id = list[0]["id"].as_str().expect("id");
    app.get(&format!("/api/v1/districts/{id}")).await;
    app.get(&format!("/api/v1/districts/{}", uuid::Uuid::now_v7()))
        .await;

    // Not on the public port: it would tell anyone how busy which route is.
    let public = Reply::from(app.client.get("/metrics").send().await).await;
    assert_eq!(public.status, 404, "{}", public.text);
    let listener =
        poem::test::TestClient::new(dorfapp::http::operations::metrics_app(app.state.clone()));
    let metrics = Reply::from(listener.get("/metrics").send().await).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    let text = metrics.text;
    let line = |needle: &[&str]| text.lines().any(|l| needle.iter().all(|n| l.contains(n)));
    assert!(
        line(&[
            "http_requests_total",
            "route=\"/api/v1/districts/{id}\"",
            "status=\"404\""
        ]),
        "requests by route template and status:\n{text}"
    );
    assert!(!text.contains(id), "raw ids must not become labels");
    assert!(
        line(&[
            "http_request_duration_seconds_bucket",
            "route=\"/api/v1/districts\""
        ]),
        "latency histogram:\n{text}"
    );
    assert!(
        line(&["db_pool_connections", "state=\"idle\""]),
        "pool gauge:\n{text}"
    );
    assert!(line(&["db_pool_max_connections"]), "pool size:\n{text}");
    assert!(
        line(&["http_requests_total", "route=\"unmatched\""]) || !text.contains("/no-such"),
        "unknown paths collapse"
    );
}
