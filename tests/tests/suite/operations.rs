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

#[tokio::test]
async fn administrators_see_the_queues_and_what_failed_and_nobody_else_does() {
    use chrono::Duration;
    use domain::clock::Clock;
    use entity::{job, vocab::JobStatus};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let (app, cast) = crate::support::spawn_cast().await;
    let now = app.clock.now();
    let row = |status: JobStatus, due: chrono::DateTime<chrono::Utc>, error: Option<&str>| {
        job::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            kind: Set("ride.remind".into()),
            payload: Set("{}".into()),
            unique_key: Set(None),
            status: Set(status),
            due_at: Set(due),
            attempts: Set(3),
            max_attempts: Set(3),
            locked_by: Set(None),
            locked_until: Set(None),
            last_error: Set(error.map(str::to_owned)),
            created_at: Set(due),
            updated_at: Set(now),
        }
    };
    row(
        JobStatus::Dead,
        now - Duration::hours(1),
        Some("Gegenstelle antwortet nicht"),
    )
    .insert(&app.state.db)
    .await
    .expect("dead job");
    row(JobStatus::Pending, now - Duration::minutes(10), None)
        .insert(&app.state.db)
        .await
        .expect("due job");

    let reply = crate::support::get_as(&app, "/api/v1/admin/health", &cast.admin.access).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let health = reply.json();
    assert_eq!(health["database_reachable"], true);
    assert!(health["jobs_due"].as_u64() >= Some(1), "{health}");
    assert!(
        health["oldest_due_seconds"].as_i64() >= Some(600),
        "{health}"
    );
    assert_eq!(health["jobs_dead"], 1);
    assert_eq!(health["dead_jobs"][0]["kind"], "ride.remind");
    assert_eq!(
        health["dead_jobs"][0]["last_error"],
        "Gegenstelle antwortet nicht"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    app.get("/api/v1/admin/health")
        .await
        .assert_problem(401, "unauthorized");
    for who in [
        &cast.dispatcher,
        &cast.leader,
        &cast.driver,
        &cast.operator,
        &cast.resident,
    ] {
        crate::support::get_as(&app, "/api/v1/admin/health", &who.access)
            .await
            .assert_problem(403, "forbidden");
    }
}
