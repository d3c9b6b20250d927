//! The job mechanism: due work runs once, at the right time, across any number of workers;
//! failures back off; a crashed claim is taken over after its lease.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Duration as Span;
use domain::jobs::{self, JobContext, JobError, JobOutcome, JobRegistry, NewJob, Worker};
use entity::job;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use uuid::Uuid;

use domain::clock::Clock;

use crate::support::TestApp;

/// Records how often each payload `n` was run.
#[derive(Clone, Default)]
struct Ledger(Arc<Mutex<HashMap<i64, u32>>>);

impl Ledger {
    fn record(&self, n: i64) {
        *self.0.lock().expect("ledger").entry(n).or_default() += 1;
    }
    fn runs(&self) -> HashMap<i64, u32> {
        self.0.lock().expect("ledger").clone()
    }
}

fn registry(ledger: &Ledger) -> Arc<JobRegistry> {
    let mut registry = JobRegistry::default();
    let l = ledger.clone();
    registry.register("test.record", move |_ctx: JobContext, job| {
        let l = l.clone();
        async move {
            let payload: serde_json::Value = job.payload()?;
            l.record(payload["n"].as_i64().unwrap_or(-1));
            Ok(JobOutcome::Done)
        }
    });
    registry.register("test.flaky", |_ctx, _job| async {
        Err(JobError::Temporary("upstream 503".into()))
    });
    registry.register("test.broken", |_ctx, _job| async {
        Err(JobError::Permanent("bad payload".into()))
    });
    registry.register("test.later", |ctx: JobContext, _job| async move {
        Ok(JobOutcome::RetryAt(ctx.clock.now() + Span::minutes(30)))
    });
    Arc::new(registry)
}

fn worker(app: &TestApp, ledger: &Ledger) -> Worker {
    Worker::new(
        app.state.job_context(),
        registry(ledger),
        Duration::from_millis(50),
    )
}

/// An app whose queue holds only what the test puts there (the app schedules its own
/// housekeeping at start).
async fn app_with_empty_queue() -> TestApp {
    let app = TestApp::spawn().await;
    job::Entity::delete_many()
        .exec(&app.state.db)
        .await
        .expect("empty the queue");
    app
}

async fn job_row(app: &TestApp) -> job::Model {
    job::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("one job")
}

#[tokio::test]
async fn a_job_runs_once_when_due_and_not_before() {
    let app = app_with_empty_queue().await;
    let ledger = Ledger::default();
    let w = worker(&app, &ledger);
    let due = app.clock.now() + Span::minutes(10);
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.record", json!({"n": 1}), due),
    )
    .await
    .expect("enqueue");

    assert_eq!(w.run_due().await.expect("run"), 0, "not due yet");
    app.clock.advance(Span::minutes(10));
    assert_eq!(w.run_due().await.expect("run"), 1);
    assert_eq!(w.run_due().await.expect("run"), 0, "done jobs are gone");
    assert_eq!(ledger.runs(), HashMap::from([(1, 1)]));
    assert_eq!(
        job::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn a_unique_key_keeps_the_same_work_from_being_queued_twice() {
    let app = app_with_empty_queue().await;
    let now = app.clock.now();
    for n in [1, 2] {
        let job = NewJob::new("test.record", json!({"n": n}), now).unique("publish:news-42");
        jobs::enqueue(&app.state.db, &app.state.clock, job)
            .await
            .expect("enqueue");
    }
    assert_eq!(
        job::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        jobs::cancel(&app.state.db, "publish:news-42")
            .await
            .expect("cancel"),
        1
    );
    assert_eq!(
        job::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn a_temporary_failure_is_retried_with_growing_backoff_until_it_is_given_up() {
    let app = app_with_empty_queue().await;
    let w = worker(&app, &Ledger::default());
    let now = app.clock.now();
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.flaky", json!({}), now).max_attempts(3),
    )
    .await
    .expect("enqueue");

    w.run_due().await.expect("run");
    let row = job_row(&app).await;
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    let first_delay = (row.due_at - now).num_milliseconds();
    assert!(
        (2000..=2500).contains(&first_delay),
        "first retry after about 2 s, was {first_delay} ms"
    );
    assert_eq!(
        row.last_error.as_deref(),
        Some("temporary failure: upstream 503")
    );
    assert!(row.locked_by.is_none());

    app.clock.set(row.due_at);
    w.run_due().await.expect("run");
    let row2 = job_row(&app).await;
    let second_delay = (row2.due_at - row.due_at).num_milliseconds();
    assert!(
        (4000..=5000).contains(&second_delay),
        "then about 4 s, was {second_delay} ms"
    );

    app.clock.set(row2.due_at);
    w.run_due().await.expect("run");
    let dead = job_row(&app).await;
    assert_eq!((dead.status.as_str(), dead.attempts), ("dead", 3));
    app.clock.advance(Span::days(1));
    assert_eq!(
        w.run_due().await.expect("run"),
        0,
        "dead jobs are not run again"
    );
}

#[tokio::test]
async fn a_permanent_failure_or_an_unknown_kind_is_given_up_at_once() {
    let app = app_with_empty_queue().await;
    let w = worker(&app, &Ledger::default());
    let now = app.clock.now();
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.broken", json!({}), now),
    )
    .await
    .expect("enqueue");
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.nobody-handles-this", json!({}), now),
    )
    .await
    .expect("enqueue");
    w.run_due().await.expect("run");
    let rows = job::Entity::find().all(&app.state.db).await.expect("rows");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.status.as_str() == "dead" && r.attempts == 1),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_job_can_defer_itself_without_using_up_an_attempt() {
    let app = app_with_empty_queue().await;
    let w = worker(&app, &Ledger::default());
    let now = app.clock.now();
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.later", json!({}), now),
    )
    .await
    .expect("enqueue");
    w.run_due().await.expect("run");
    let row = job_row(&app).await;
    assert_eq!(row.attempts, 0);
    assert_eq!(row.due_at, now + Span::minutes(30));
    assert_eq!(row.status.as_str(), "pending");
}

#[tokio::test]
async fn a_claim_of_a_crashed_worker_is_taken_over_after_its_lease() {
    let app = app_with_empty_queue().await;
    let ledger = Ledger::default();
    let crashed = worker(&app, &ledger);
    let survivor = worker(&app, &ledger);
    let now = app.clock.now();
    jobs::enqueue(
        &app.state.db,
        &app.state.clock,
        NewJob::new("test.record", json!({"n": 7}), now),
    )
    .await
    .expect("enqueue");

    // The first worker claims the job and dies before finishing it.
    let claimed = crashed.claim(10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(job_row(&app).await.locked_by.as_deref(), Some(crashed.id()));

    // While the lease holds, nobody else runs it.
    app.clock.advance(Span::seconds(30));
    assert_eq!(survivor.run_due().await.expect("run"), 0);

    // Once it has run out, the job is taken over and runs exactly once.
    app.clock.advance(Span::seconds(31));
    assert_eq!(survivor.run_due().await.expect("run"), 1);
    assert_eq!(ledger.runs(), HashMap::from([(7, 1)]));

    // The late worker's outcome cannot touch a job that is no longer its own.
    crashed
        .execute(claimed.into_iter().next().expect("job"))
        .await
        .expect("late execute");
    assert_eq!(
        job::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn concurrent_workers_run_every_job_exactly_once() {
    let app = app_with_empty_queue().await;
    let ledger = Ledger::default();
    let now = app.clock.now();
    const JOBS: i64 = 120;
    for n in 0..JOBS {
        jobs::enqueue(
            &app.state.db,
            &app.state.clock,
            NewJob::new("test.record", json!({"n": n}), now),
        )
        .await
        .expect("enqueue");
    }
    let workers: Vec<Worker> = (0..4).map(|_| worker(&app, &ledger)).collect();
    let runs = futures::future::join_all(workers.iter().map(|w| w.run_due())).await;
    let total: usize = runs.into_iter().map(|r| r.expect("run")).sum();
    assert_eq!(total, JOBS as usize);
    let seen = ledger.runs();
    assert_eq!(seen.len(), JOBS as usize, "every job ran");
    assert!(
        seen.values().all(|&count| count == 1),
        "no job ran twice: {seen:?}"
    );
}

#[tokio::test]
async fn the_background_worker_picks_up_due_work_within_five_seconds() {
    let app = app_with_empty_queue().await;
    let ledger = Ledger::default();
    // A worker on the system clock, as `serve` runs it.
    let ctx = JobContext {
        clock: Arc::new(domain::clock::SystemClock),
        ..app.state.job_context()
    };
    let w = Worker::new(ctx.clone(), registry(&ledger), Duration::from_millis(1000));
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(w.run(stop.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let due = chrono::Utc::now() + Span::milliseconds(300);
    jobs::enqueue(
        &ctx.db,
        &ctx.clock,
        NewJob::new(
            "test.record",
            json!({"n": Uuid::now_v7().as_u128() as i64 & 0xffff}),
            due,
        ),
    )
    .await
    .expect("enqueue");
    let picked_up = tokio::time::timeout(Duration::from_secs(5), async {
        while ledger.runs().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(picked_up.is_ok(), "job not run within 5 s of its due time");
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("worker stops")
        .expect("clean stop");
}

#[tokio::test]
async fn housekeeping_purges_expired_records_hourly() {
    use entity::{idempotency_record, login_attempt};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = TestApp::spawn().await;
    let now = app.clock.now();
    for (age_hours, key) in [(25, "old"), (1, "fresh")] {
        let created = now - Span::hours(age_hours);
        idempotency_record::ActiveModel {
            id: Set(Uuid::now_v7()),
            scope: Set("anonymous".into()),
            key: Set(key.into()),
            request_hash: Set("x".into()),
            status_code: Set(201),
            response_body: Set(String::new()),
            resource_id: Set(None),
            created_at: Set(created),
            expires_at: Set(created + Span::hours(24)),
        }
        .insert(&app.state.db)
        .await
        .expect("record");
    }
    for minutes in [20, 5] {
        login_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            email_normalized: Set("anna@example.org".into()),
            client_address: Set("192.0.2.1".into()),
            succeeded: Set(false),
            at: Set(now - Span::minutes(minutes)),
        }
        .insert(&app.state.db)
        .await
        .expect("attempt");
    }
    let worker = Worker::new(
        app.state.job_context(),
        Arc::new(dorfapp::state::job_registry()),
        Duration::from_millis(50),
    );
    assert_eq!(
        worker.run_due().await.expect("run"),
        1,
        "the purge scheduled at start is due"
    );

    let keys: Vec<String> = idempotency_record::Entity::find()
        .all(&app.state.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(keys, ["fresh"]);
    assert_eq!(
        login_attempt::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        1
    );
    let next = job_row(&app).await;
    assert_eq!(next.kind, "maintenance.purge");
    assert_eq!(
        next.due_at,
        now + Span::hours(1),
        "it comes back in an hour"
    );
    assert_eq!(worker.run_due().await.expect("run"), 0);
}
