//! Push delivery: the worker that turns notices into inbox entries and Web Push messages.
//!
//! Two steps, each a queue in the database claimed with a lease (see [`domain::db::Claim`]):
//! 1. **Expand** (`expand`): a due notice's audience rule is applied, in batches of recipients,
//!    with their preferences and quiet hours, into `inbox_entry` and `push_delivery` rows.
//! 2. **Send** (`send`): due deliveries are encrypted, VAPID-signed and posted to the push
//!    services; failures are retried with backoff, gone devices removed.
//!
//! Every instance runs a [`Dispatcher`]; claims make sure two instances never expand one
//! batch or send one delivery twice. The capabilities never see any of this: they hand a
//! notice to `domain::notices::enqueue` and are done.

mod client;
mod expand;
mod send;
pub mod vapid;

pub use expand::{Estimate, estimate};

use std::{sync::Arc, time::Duration};

use chrono_tz::Tz;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use domain::{clock::SharedClock, keys::VapidKeys};

/// How long a claim on a notice or a delivery batch holds. A batch takes well under a second;
/// a worker that died leaves its claim to run out, then another takes over.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// How often a woken loop looks again while what woke it may not be committed yet.
const EAGER_POLL: Duration = Duration::from_millis(5);
/// How long it keeps looking that often after a wake.
const EAGER_WINDOW: Duration = Duration::from_millis(500);

/// What sending needs that lives as long as the process: the VAPID signer with its token
/// cache and the pooled HTTP client.
pub struct PushClient {
    vapid: vapid::VapidSigner,
    http: reqwest::Client,
    allow_http: bool,
}

impl PushClient {
    pub fn new(keys: &VapidKeys, subject: &str, allow_http: bool) -> anyhow::Result<Self> {
        Ok(Self {
            vapid: vapid::VapidSigner::new(keys, subject)?,
            http: client::build(allow_http)?,
            allow_http,
        })
    }
}

/// Rings the notices' doorbell for every notice committed on the database, until the
/// connection fails.
async fn listen_for_notices(
    pool: &sea_orm::sqlx::PgPool,
) -> Result<std::convert::Infallible, sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(domain::notices::CHANNEL).await?;
    loop {
        listener.recv().await?;
        domain::notices::ring();
    }
}

/// What one pass of the worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Recipient batches expanded.
    pub batches: usize,
    /// Deliveries attempted (sent, failed, retried or found gone).
    pub attempted: usize,
}

/// The push worker of one instance.
#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    clock: SharedClock,
    time_zone: Tz,
    push: Arc<PushClient>,
    worker_id: String,
    poll_interval: Duration,
    /// Expansion wakes the sender, so the first pushes leave while later batches expand.
    wake_sender: Arc<Notify>,
    /// Pushes sent or being sent and not yet recorded ([`send::CONCURRENCY`] at most).
    in_flight: Arc<tokio::sync::Semaphore>,
    /// The worker's writes take turns on SQLite ([`Dispatcher::write_turn`]).
    writes: Arc<tokio::sync::Mutex<()>>,
}

impl Dispatcher {
    /// `poll_interval`: how often an idle loop looks for new work.
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        time_zone: Tz,
        push: Arc<PushClient>,
        poll_interval: Duration,
    ) -> Self {
        Self {
            db,
            clock,
            time_zone,
            push,
            worker_id: format!("push-{}", Uuid::now_v7()),
            poll_interval,
            wake_sender: Arc::new(Notify::new()),
            in_flight: Arc::new(tokio::sync::Semaphore::new(send::CONCURRENCY)),
            writes: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Expands and sends everything due now, until nothing is left (tests, and the
    /// benchmark driver, call this instead of waiting for the loops).
    pub async fn run_due(&self) -> Result<DispatchReport, DbErr> {
        let mut report = DispatchReport::default();
        loop {
            let batches = self.expand_due().await?;
            let mut attempted = 0;
            loop {
                match self.send_due().await? {
                    0 => break,
                    n => attempted += n,
                }
            }
            report.batches += batches;
            report.attempted += attempted;
            if batches == 0 && attempted == 0 {
                return Ok(report);
            }
        }
    }

    /// Runs both loops until `shutdown`; a batch in progress is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(worker = %self.worker_id, "push worker started");
        let expanding = {
            let this = self.clone();
            let shutdown = shutdown.clone();
            async move {
                let doorbell = domain::notices::enqueued();
                this.keep_running(&shutdown, "expanding notices", Some(doorbell), || {
                    this.expand_due()
                })
                .await;
            }
        };
        let listening = {
            let this = self.clone();
            let shutdown = shutdown.clone();
            async move { this.listen(&shutdown).await }
        };
        // Two senders share the permits: while one batch's last pushes are in flight, the
        // other has claimed the next and starts on the permits they free.
        let sender = || {
            let this = self.clone();
            let shutdown = shutdown.clone();
            async move {
                let wake = this.wake_sender.clone();
                this.keep_running(&shutdown, "sending pushes", Some(&wake), || this.send_due())
                    .await;
            }
        };
        tokio::join!(expanding, listening, sender(), sender());
        tracing::info!(worker = %self.worker_id, "push worker stopped");
    }

    /// On SQLite, one write of this worker at a time (a claim, a batch of outcomes, an expansion
    /// batch). Its two senders and its expansion would otherwise meet at SQLite's lock, whose
    /// busy handler sleeps up to 100 ms between tries and lets whoever comes next overtake: the
    /// fan-out stalled for up to a third of a second. In line here, each waits only for the
    /// write before it. PostgreSQL locks rows, so there the writes go concurrently.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if self.db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            Some(self.writes.lock().await)
        } else {
            None
        }
    }

    /// On PostgreSQL: `LISTEN`s for notices any instance commits and rings the doorbell, so
    /// that the first push leaves within milliseconds instead of at the next poll. Polling
    /// stays the fallback: while the listener is down (it reconnects by itself), nothing is
    /// lost, only later.
    async fn listen(&self, shutdown: &CancellationToken) {
        if self.db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return;
        }
        while !shutdown.is_cancelled() {
            let failed = tokio::select! {
                () = shutdown.cancelled() => return,
                result = listen_for_notices(self.db.get_postgres_connection_pool()) => {
                    match result {
                        Err(err) => err,
                        Ok(never) => match never {},
                    }
                }
            };
            tracing::warn!(worker = %self.worker_id, error = %failed, "listening for notices failed; polling meanwhile");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.poll_interval.max(Duration::from_secs(1))) => {}
            }
        }
    }

    async fn keep_running<F, Fut>(
        &self,
        shutdown: &CancellationToken,
        what: &str,
        wake: Option<&Notify>,
        step: F,
    ) where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<usize, DbErr>>,
    {
        // After a wake the work may not be visible yet (a notice is announced before its
        // transaction commits): look again every few milliseconds for a short while.
        let mut eager_until: Option<tokio::time::Instant> = None;
        while !shutdown.is_cancelled() {
            let done = match step().await {
                Ok(done) => done,
                Err(err) => {
                    tracing::warn!(worker = %self.worker_id, error = %err, "{what} failed");
                    0
                }
            };
            if done > 0 {
                eager_until = None;
                continue;
            }
            let now = tokio::time::Instant::now();
            let pause = match eager_until {
                Some(until) if now < until => EAGER_POLL,
                _ => self.poll_interval,
            };
            let woken = async {
                match wake {
                    Some(notify) => notify.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
                () = woken => eager_until = Some(tokio::time::Instant::now() + EAGER_WINDOW),
            }
        }
    }
}
