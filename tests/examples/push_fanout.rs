//! Push fan-out benchmark driver (run by `bench/push-fanout.sh`, which starts the server).
//!
//! 1. Starts a minimal Web Push service on loopback: `POST /push/:id` answers 201, counts the
//!    requests and the distinct devices, notes the first and last arrival and decrypts every
//!    1000th payload (`aes128gcm`, RFC 8291) to prove the pushes are real.
//! 2. Writes N residents of one district, each with one subscription pointing at that service,
//!    straight into the server's database (registration over HTTP would spend ~50 ms of argon2
//!    per person; these people never log in, so they share one fixed password hash).
//! 3. Logs in as the admin and posts a `warning` with `notify: true` to that district, as a
//!    district mayor would, then waits until every device has its push.
//! 4. With `--node-peer bench/webpush-node/send.mjs`, first lets Node's `web-push` library send
//!    one push to each of the same N devices at the same receiver (64 in flight), the peer the
//!    server's figure is compared with in the same run.
//! 5. Prints N, the time from the POST to the last arrival, deliveries/s, the server's resident
//!    memory (idle before, highest sampled during, `VmHWM`), its CPU time, how busy the machine
//!    was, and — read back from the database afterwards — how long expansion and sending took
//!    on the server's own clock.
//!
//! ```text
//! cargo run --release -p dorfapp-tests --example push_fanout -- \
//!     --server http://127.0.0.1:18183 --database-url sqlite://DATA/dorfapp.db?mode=rwc \
//!     --pid SERVER_PID --admin-email admin@bench.invalid --admin-password ... [--n 10000]
//! ```

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use poem::{
    EndpointExt, Request, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    post,
    web::{Data, Path},
};
use sea_orm::{Database, DatabaseConnection, FromQueryResult, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

#[path = "bench_support/mod.rs"]
mod bench_support;

/// Every this many-th push is decrypted.
const DECRYPT_EVERY: u64 = 1000;

struct Options {
    server: String,
    database_url: String,
    pid: Option<u32>,
    n: usize,
    port: u16,
    admin_email: String,
    admin_password: String,
    district: Option<String>,
    rounds: usize,
    timeout: Duration,
    /// `bench/webpush-node/send.mjs`: Node's `web-push` sends to the same devices first.
    node_peer: Option<String>,
}

impl Options {
    fn parse() -> Result<Self> {
        let mut values: HashMap<String, String> = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| anyhow!("unexpected argument {flag}"))?;
            let value = args
                .next()
                .ok_or_else(|| anyhow!("--{name} needs a value"))?;
            values.insert(name.to_owned(), value);
        }
        let take = |name: &str| values.get(name).cloned();
        let need = |name: &str| take(name).ok_or_else(|| anyhow!("--{name} is required"));
        Ok(Self {
            server: need("server")?.trim_end_matches('/').to_owned(),
            database_url: need("database-url")?,
            pid: take("pid").map(|p| p.parse()).transpose()?,
            n: take("n").map(|n| n.parse()).transpose()?.unwrap_or(10_000),
            port: take("port").map(|p| p.parse()).transpose()?.unwrap_or(0),
            admin_email: need("admin-email")?,
            admin_password: need("admin-password")?,
            district: take("district"),
            rounds: take("rounds").map(|r| r.parse()).transpose()?.unwrap_or(1),
            timeout: Duration::from_secs(
                take("timeout")
                    .map(|t| t.parse())
                    .transpose()?
                    .unwrap_or(300),
            ),
            node_peer: take("node-peer"),
        })
    }
}

/// What the receiving service has seen.
struct Receiver {
    started: Instant,
    components: ece::EcKeyComponents,
    auth: Vec<u8>,
    /// Pushes received (any device, duplicates included).
    count: AtomicU64,
    /// Nanoseconds since `started` of the first and the last arrival (`u64::MAX`/0: none).
    first_ns: AtomicU64,
    last_ns: AtomicU64,
    /// One flag per device; a second push to the same device counts as a duplicate.
    seen: Mutex<Vec<bool>>,
    /// Every arrival (nanoseconds since `started`), to find the pauses between send batches.
    arrivals: Mutex<Vec<u64>>,
    distinct: AtomicUsize,
    duplicates: AtomicUsize,
    /// Decrypted samples: (device, payload JSON, `Urgency` header).
    samples: Mutex<Vec<(usize, Value, Option<String>)>>,
    decrypt_failures: AtomicUsize,
}

impl Receiver {
    fn arrival(&self) -> u64 {
        let at = self.started.elapsed().as_nanos() as u64;
        self.arrivals.lock().unwrap().push(at);
        self.first_ns.fetch_min(at, Ordering::Relaxed);
        self.last_ns.fetch_max(at, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn reset(&self) {
        self.first_ns.store(u64::MAX, Ordering::Relaxed);
        self.last_ns.store(0, Ordering::Relaxed);
        self.count.store(0, Ordering::Relaxed);
        self.distinct.store(0, Ordering::Relaxed);
        self.duplicates.store(0, Ordering::Relaxed);
        self.decrypt_failures.store(0, Ordering::Relaxed);
        self.samples.lock().unwrap().clear();
        self.arrivals.lock().unwrap().clear();
        self.seen
            .lock()
            .unwrap()
            .iter_mut()
            .for_each(|s| *s = false);
    }

    fn at(&self, ns: u64) -> Instant {
        self.started + Duration::from_nanos(ns)
    }
}

#[handler]
fn receive(
    Path(id): Path<usize>,
    req: &Request,
    body: Vec<u8>,
    Data(receiver): Data<&Arc<Receiver>>,
) -> StatusCode {
    let nth = receiver.arrival();
    {
        let mut seen = receiver.seen.lock().unwrap();
        match seen.get_mut(id) {
            Some(flag) if !*flag => {
                *flag = true;
                receiver.distinct.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {
                receiver.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            None => return StatusCode::NOT_FOUND,
        }
    }
    if nth % DECRYPT_EVERY == 1 {
        let urgency = req
            .headers()
            .get("urgency")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match ece::decrypt(&receiver.components, &receiver.auth, &body)
            .ok()
            .and_then(|plain| serde_json::from_slice::<Value>(&plain).ok())
        {
            Some(payload) => receiver
                .samples
                .lock()
                .unwrap()
                .push((id, payload, urgency)),
            None => {
                receiver.decrypt_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    StatusCode::CREATED
}

/// The receiving service on `127.0.0.1:port` (0: any free port); returns its port.
async fn start_receiver(port: u16, receiver: Arc<Receiver>) -> Result<u16> {
    let acceptor = TcpListener::bind(format!("127.0.0.1:{port}"))
        .into_acceptor()
        .await
        .context("bind the receiving push service")?;
    let port = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("receiver address")?
        .port();
    let routes = Route::new().at("/push/:id", post(receive)).data(receiver);
    tokio::spawn(async move {
        let _ = Server::new_with_acceptor(acceptor).run(routes).await;
    });
    Ok(port)
}

/// Resident set now and its high-water mark, in KiB, from `/proc/<pid>/status`.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User + system CPU time of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: field 3 is the state; utime and stime are 14, 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// (busy, total) clock ticks of all cores together, from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4)?;
    Some((total - idle, total))
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn json_of(response: reqwest::Response, what: &str) -> Result<Value> {
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{what}: {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

#[derive(Debug, FromQueryResult)]
struct Timing {
    rows: i64,
    created_first: Option<DateTime<Utc>>,
    created_last: Option<DateTime<Utc>>,
    sent_first: Option<DateTime<Utc>>,
    sent_last: Option<DateTime<Utc>>,
    sent: i64,
}

/// When the server wrote the deliveries of the notices of `news_id` and when it sent them.
async fn server_timing(db: &DatabaseConnection, news_id: Uuid) -> Result<Option<Timing>> {
    let backend = db.get_database_backend();
    let placeholder = if backend == sea_orm::DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = format!(
        "SELECT COUNT(*) AS rows, MIN(d.created_at) AS created_first, \
         MAX(d.created_at) AS created_last, MIN(d.sent_at) AS sent_first, \
         MAX(d.sent_at) AS sent_last, \
         SUM(CASE WHEN d.status = 'sent' THEN 1 ELSE 0 END) AS sent \
         FROM push_delivery d JOIN notice n ON n.id = d.notice_id \
         WHERE n.subject_id = {placeholder}"
    );
    Ok(Timing::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [news_id.into()],
    ))
    .one(db)
    .await?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse()?;
    let n = options.n;

    // The device keys: one pair for every subscription.
    let (keys, auth) = ece::generate_keypair_and_auth_secret()?;
    let p256dh = URL_SAFE_NO_PAD.encode(keys.pub_as_raw()?);
    let auth_b64 = URL_SAFE_NO_PAD.encode(auth);
    let receiver = Arc::new(Receiver {
        started: Instant::now(),
        components: keys.raw_components()?,
        auth: auth.to_vec(),
        count: AtomicU64::new(0),
        first_ns: AtomicU64::new(u64::MAX),
        last_ns: AtomicU64::new(0),
        seen: Mutex::new(vec![false; n]),
        arrivals: Mutex::new(Vec::with_capacity(n)),
        distinct: AtomicUsize::new(0),
        duplicates: AtomicUsize::new(0),
        samples: Mutex::new(Vec::new()),
        decrypt_failures: AtomicUsize::new(0),
    });
    let port = start_receiver(options.port, receiver.clone()).await?;

    let http = reqwest::Client::new();
    let districts = json_of(
        http.get(format!("{}/api/v1/districts", options.server))
            .send()
            .await?,
        "districts",
    )
    .await?;
    let district = districts
        .as_array()
        .and_then(|all| {
            all.iter().find(|d| match &options.district {
                Some(wanted) => d["id"] == wanted.as_str() || d["name"] == wanted.as_str(),
                None => true,
            })
        })
        .ok_or_else(|| anyhow!("no such district in {districts}"))?;
    let district_id: Uuid = district["id"].as_str().context("district id")?.parse()?;
    let district_name = district["name"].as_str().unwrap_or("?").to_owned();

    let db = Database::connect(&options.database_url).await?;
    let filling = Instant::now();
    bench_support::fill_residents(&db, n, district_id, port, &p256dh, &auth_b64, "fanout").await?;
    println!(
        "filled {n} residents of {district_name} with one device each in {:.1} s; \
         receiver on 127.0.0.1:{port}",
        filling.elapsed().as_secs_f64()
    );

    let login = json_of(
        http.post(format!("{}/api/v1/auth/login", options.server))
            .json(&json!({"email": options.admin_email, "password": options.admin_password}))
            .send()
            .await?,
        "login",
    )
    .await?;
    let token = login["tokens"]["access_token"]
        .as_str()
        .context("access token")?
        .to_owned();

    // Let the server settle (the fill's writes, the login's argon2) before measuring idle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = options.pid.and_then(memory);
    if let Some((rss, hwm)) = idle {
        println!(
            "server idle: RSS {:.1} MB (VmHWM so far {:.1} MB)",
            mb(rss),
            mb(hwm)
        );
    }

    let mut failed = false;
    if let Some(script) = &options.node_peer {
        failed |= !node_peer(script, &receiver, n, port, &p256dh, &auth_b64, &options).await?;
    }
    for round in 1..=options.rounds {
        receiver.reset();
        let cpu_before = options.pid.and_then(cpu_ticks);
        let machine_before = machine_ticks();
        let rss_peak = Arc::new(AtomicU64::new(0));
        let sampling = options.pid.map(|pid| {
            let rss_peak = rss_peak.clone();
            tokio::spawn(async move {
                loop {
                    if let Some((rss, _)) = memory(pid) {
                        rss_peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        });

        let posted_at = Instant::now();
        let created = json_of(
            http.post(format!("{}/api/v1/news", options.server))
                .bearer_auth(&token)
                .json(&json!({
                    "title": format!("Unwetterwarnung {round}"),
                    "body": "Sturmböen bis 100 km/h. Bitte lose Gegenstände sichern und \
                             Bäume meiden. Die Feuerwehr ist erreichbar unter 112.",
                    "category": "warning",
                    "district_ids": [district_id],
                    "notify": true,
                }))
                .send()
                .await?,
            "post the warning",
        )
        .await?;
        let answered = posted_at.elapsed();
        let news_id: Uuid = created["id"].as_str().context("news id")?.parse()?;

        let deadline = posted_at + options.timeout;
        let mut progress = Vec::new();
        let mut next_mark = posted_at + Duration::from_secs(1);
        while receiver.distinct.load(Ordering::Relaxed) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if Instant::now() >= next_mark {
                progress.push(receiver.count.load(Ordering::Relaxed));
                next_mark += Duration::from_secs(1);
            }
        }
        let waited = posted_at.elapsed();
        if let Some(task) = sampling {
            task.abort();
        }
        let cpu = options
            .pid
            .and_then(cpu_ticks)
            .zip(cpu_before)
            .map(|(after, before)| (after - before) as f64 / 100.0);
        let machine =
            machine_ticks()
                .zip(machine_before)
                .map(|((busy, total), (busy0, total0))| {
                    (busy - busy0) as f64 / (total - total0).max(1) as f64
                });

        let distinct = receiver.distinct.load(Ordering::Relaxed);
        let received = receiver.count.load(Ordering::Relaxed);
        let first = receiver.first_ns.load(Ordering::Relaxed);
        let last = receiver.last_ns.load(Ordering::Relaxed);
        println!("\n## round {round}: warning to {n} devices");
        println!(
            "POST /api/v1/news answered in {:.1} ms",
            answered.as_secs_f64() * 1e3
        );
        if distinct == 0 {
            println!("no push arrived within {:.0} s", waited.as_secs_f64());
            failed = true;
            continue;
        }
        let to_first = receiver.at(first).saturating_duration_since(posted_at);
        let to_last = receiver.at(last).saturating_duration_since(posted_at);
        let spread = Duration::from_nanos(last.saturating_sub(first));
        println!(
            "received {received} pushes, {distinct} distinct devices, {} duplicates{}",
            receiver.duplicates.load(Ordering::Relaxed),
            if distinct < n {
                " — INCOMPLETE (timeout)"
            } else {
                ""
            }
        );
        println!(
            "first push after {:.3} s, last after {:.3} s",
            to_first.as_secs_f64(),
            to_last.as_secs_f64()
        );
        let rate = distinct as f64 / to_last.as_secs_f64();
        println!(
            "deliveries/s: {rate:.0} (POST to last arrival); {:.0} (first to last arrival)",
            distinct as f64 / spread.as_secs_f64().max(1e-9)
        );
        println!("arrivals after each second: {progress:?}");
        {
            // Pauses in the stream of arrivals: where the sender claimed, looked up or recorded
            // a batch (or waited for expansion) instead of sending.
            let mut times = receiver.arrivals.lock().unwrap().clone();
            times.sort_unstable();
            let gaps: Vec<u64> = times
                .windows(2)
                .map(|w| w[1] - w[0])
                .filter(|gap| *gap >= 5_000_000)
                .collect();
            let total: u64 = gaps.iter().sum();
            println!(
                "pauses of 5 ms or more between arrivals: {} pauses, {:.3} s together \
                 ({:.0}% of first to last), longest {:.1} ms",
                gaps.len(),
                total as f64 / 1e9,
                100.0 * total as f64 / spread.as_nanos().max(1) as f64,
                gaps.iter().max().copied().unwrap_or(0) as f64 / 1e6
            );
        }
        if let Some(pid) = options.pid
            && let Some((rss, hwm)) = memory(pid)
        {
            println!(
                "server RSS: idle {:.1} MB, highest sampled {:.1} MB, now {:.1} MB, VmHWM {:.1} MB",
                mb(idle.map_or(0, |(r, _)| r)),
                mb(rss_peak.load(Ordering::Relaxed)),
                mb(rss),
                mb(hwm)
            );
        }
        if let Some(cpu) = cpu {
            println!(
                "server CPU: {cpu:.2} s ({:.0}% of one core over the run)",
                100.0 * cpu / waited.as_secs_f64()
            );
        }
        if let Some(busy) = machine {
            println!("machine busy: {:.0}% of all cores", 100.0 * busy);
        }
        {
            let samples = receiver.samples.lock().unwrap();
            let good = samples
                .iter()
                .filter(|(_, p, u)| {
                    p["kind"] == "news"
                        && p["title"] == format!("Unwetterwarnung {round}").as_str()
                        && u.as_deref() == Some("high")
                })
                .count();
            println!(
                "decrypted samples: {} ({good} with the right title, kind and Urgency: high), \
                 {} failed",
                samples.len(),
                receiver.decrypt_failures.load(Ordering::Relaxed)
            );
            if let Some((device, payload, _)) = samples.last() {
                println!("  e.g. device {device}: {payload}");
            }
        }
        // The server's own clock: when it wrote the deliveries (per expansion batch) and sent
        // them (per claim of 256).
        if let Some(t) = server_timing(&db, news_id).await?
            && let (Some(cf), Some(cl), Some(sf), Some(sl)) =
                (t.created_first, t.created_last, t.sent_first, t.sent_last)
        {
            println!(
                "server: {} deliveries ({} sent); written {:.3} s from first to last batch, \
                     sent (claimed) {:.3} s from first to last batch; first claim {:.3} s after \
                     the first write",
                t.rows,
                t.sent,
                (cl - cf).as_seconds_f64(),
                (sl - sf).as_seconds_f64(),
                (sf - cf).as_seconds_f64()
            );
        }
        println!(
            "RESULT round={round} n={n} delivered={distinct} seconds={:.3} per_second={rate:.0} \
             rss_idle_mb={:.1} rss_peak_mb={:.1} vmhwm_mb={:.1} cpu_s={:.2}",
            to_last.as_secs_f64(),
            mb(idle.map_or(0, |(r, _)| r)),
            mb(rss_peak.load(Ordering::Relaxed)),
            mb(options.pid.and_then(memory).map_or(0, |(_, h)| h)),
            cpu.unwrap_or(0.0)
        );
        if distinct < n {
            failed = true;
        }
    }
    if failed {
        bail!("not every device got its push");
    }
    Ok(())
}

/// Node's `web-push` sending one push to each of the `n` devices at the receiver, 64 in flight;
/// prints its rate (start of the script to the last arrival) and returns whether all arrived.
async fn node_peer(
    script: &str,
    receiver: &Receiver,
    n: usize,
    port: u16,
    p256dh: &str,
    auth: &str,
    options: &Options,
) -> Result<bool> {
    let subscriptions: Vec<Value> = (0..n)
        .map(|id| {
            json!({
                "endpoint": format!("http://127.0.0.1:{port}/push/{id}"),
                "keys": {"p256dh": p256dh, "auth": auth},
            })
        })
        .collect();
    let file = std::env::temp_dir().join(format!("push-fanout-peer-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&subscriptions)?)?;
    receiver.reset();
    let started = Instant::now();
    let command = {
        let (script, file) = (script.to_owned(), file.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg(script)
                .arg(file)
                .arg("64")
                .output()
        })
    };
    let output = tokio::time::timeout(options.timeout, command)
        .await
        .context("Node's web-push took longer than --timeout")??
        .context("run node (is Node.js installed, and `npm ci` done in bench/webpush-node?)")?;
    let _ = std::fs::remove_file(&file);
    let distinct = receiver.distinct.load(Ordering::Relaxed);
    let last = receiver.last_ns.load(Ordering::Relaxed);
    let to_last = receiver.at(last).saturating_duration_since(started);
    let rate = distinct as f64 / to_last.as_secs_f64().max(1e-9);
    println!("\n## peer: Node web-push to the same {n} devices, 64 in flight");
    println!(
        "script: {}",
        String::from_utf8_lossy(&output.stdout).trim_end()
    );
    if !output.status.success() {
        println!("node failed: {}", String::from_utf8_lossy(&output.stderr));
        return Ok(false);
    }
    println!(
        "received {distinct} distinct devices, {} duplicates; last after {:.3} s",
        receiver.duplicates.load(Ordering::Relaxed),
        to_last.as_secs_f64()
    );
    println!("PEER node_webpush n={n} delivered={distinct} per_second={rate:.0}");
    Ok(distinct == n)
}
