//! Two instances on one PostgreSQL (run by `bench/two-instances.sh`, which starts both).
//!
//! 1. Starts a receiving Web Push service on loopback that decrypts every push (`aes128gcm`,
//!    RFC 8291; all devices share one key pair) and records its `notification_id` and news id,
//!    so a push that arrives twice is recognised exactly. It also notes the peer port of every
//!    push and which local ports belong to instance A (from `/proc`), to show who sent what.
//! 2. Writes N residents of one district, each with one device at that service, straight into
//!    the database; registers a district leader, drivers and riders over HTTP and grants the
//!    roles as the admin.
//! 3. Rides: the riders book rides; then every driver tries to accept every ride at once, half
//!    of the drivers through instance A and half through B. Exactly one accept per ride may
//!    succeed, and the ride must show that driver.
//! 4. News: the leader posts scheduled items (`publish_at` a few seconds ahead) and warnings,
//!    all with `notify: true`, alternately through A and B. When the receiver has seen a share
//!    of the expected pushes (`--kill-at`, 0.2), instance A gets `kill -KILL`; B must finish
//!    alone (a claim of the dead worker is taken over when its 60 s lease runs out).
//! 5. Checks: every (device, item) arrived; duplicates only where the design allows them (a
//!    push A had sent but not yet recorded when it died: first copy before the kill, at most
//!    the 64 in flight); every scheduled item published once with one notice; no ride
//!    accepted twice. Prints PASS or FAIL and exits non-zero on FAIL.
//!
//! ```text
//! cargo run --release -p dorfapp-tests --example two_instances -- \
//!     --a http://127.0.0.1:18301 --b http://127.0.0.1:18302 \
//!     --database-url postgres://postgres@127.0.0.1:5432/DB --pid-a PID_OF_A \
//!     --admin-email admin@bench.invalid --admin-password ... [--n 2000]
//! ```

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use futures::future::join_all;
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

/// Password of the accounts registered over HTTP.
const PASSWORD: &str = "Zwei-Instanzen-Passwort-1";
/// Pushes in flight at once per instance (`push/src/send.rs`, `CONCURRENCY`): a push holds its
/// permit from before its request until its outcome is committed, so a worker killed at any
/// moment leaves at most this many pushes accepted by the push service but not recorded —
/// these go out again.
const IN_FLIGHT: usize = 64;
/// A duplicate's first copy must have arrived before the kill, give or take this much (the
/// receiver may still be handling a request whose sender just died).
const KILL_SLACK: Duration = Duration::from_millis(200);

struct Options {
    a: String,
    b: String,
    database_url: String,
    pid_a: u32,
    admin_email: String,
    admin_password: String,
    n: usize,
    rides: usize,
    riders: usize,
    drivers: usize,
    warnings: usize,
    scheduled: usize,
    kill_at: f64,
    timeout: Duration,
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
        let number = |name: &str, default: usize| -> Result<usize> {
            Ok(take(name)
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(default))
        };
        Ok(Self {
            a: need("a")?.trim_end_matches('/').to_owned(),
            b: need("b")?.trim_end_matches('/').to_owned(),
            database_url: need("database-url")?,
            pid_a: need("pid-a")?.parse()?,
            admin_email: need("admin-email")?,
            admin_password: need("admin-password")?,
            n: number("n", 2000)?,
            rides: number("rides", 20)?,
            riders: number("riders", 5)?.max(1),
            drivers: number("drivers", 8)?.max(2),
            warnings: number("warnings", 4)?,
            scheduled: number("scheduled", 3)?,
            kill_at: take("kill-at")
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(0.2),
            timeout: Duration::from_secs(number("timeout", 180)? as u64),
        })
    }
}

/// One push as the device saw it.
struct Arrival {
    device: usize,
    news_id: String,
    at: Duration,
    peer_port: Option<u16>,
}

/// What the receiving service has seen.
struct Receiver {
    started: Instant,
    components: ece::EcKeyComponents,
    auth: Vec<u8>,
    n: usize,
    /// Pushes received (duplicates included, undecryptable ones too).
    count: AtomicU64,
    decrypt_failures: AtomicUsize,
    /// `notification_id` → every arrival of it.
    by_notification: Mutex<HashMap<String, Vec<Arrival>>>,
}

#[handler]
fn receive(
    Path(device): Path<usize>,
    req: &Request,
    body: Vec<u8>,
    Data(receiver): Data<&Arc<Receiver>>,
) -> StatusCode {
    let at = receiver.started.elapsed();
    if device >= receiver.n {
        return StatusCode::NOT_FOUND;
    }
    receiver.count.fetch_add(1, Ordering::Relaxed);
    let payload = ece::decrypt(&receiver.components, &receiver.auth, &body)
        .ok()
        .and_then(|plain| serde_json::from_slice::<Value>(&plain).ok());
    let Some(payload) = payload else {
        receiver.decrypt_failures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::CREATED;
    };
    let notification = payload["notification_id"]
        .as_str()
        .unwrap_or("?")
        .to_owned();
    let news_id = payload["data"]["id"].as_str().unwrap_or("?").to_owned();
    let peer_port = req
        .remote_addr()
        .as_socket_addr()
        .map(std::net::SocketAddr::port);
    receiver
        .by_notification
        .lock()
        .unwrap()
        .entry(notification)
        .or_default()
        .push(Arrival {
            device,
            news_id,
            at,
            peer_port,
        });
    StatusCode::CREATED
}

/// The receiving service on a free loopback port; returns the port.
async fn start_receiver(receiver: Arc<Receiver>) -> Result<u16> {
    let acceptor = TcpListener::bind("127.0.0.1:0")
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

/// Socket inodes a process holds open, from `/proc/<pid>/fd`.
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    entries
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// Local TCP ports of the sockets with these inodes, from `/proc/net/tcp{,6}`.
fn local_ports(inodes: &HashSet<u64>) -> HashSet<u16> {
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(inode)) = (fields.get(1), fields.get(9)) else {
                continue;
            };
            if inode.parse::<u64>().is_ok_and(|i| inodes.contains(&i))
                && let Some(port) = local
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.insert(port);
            }
        }
    }
    ports
}

/// One HTTP call; returns the status and the JSON body (Null when there is none).
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let mut request = http.request(method, &url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.with_context(|| url.clone())?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A call that must answer `expected`; returns the JSON body.
async fn expect(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
    expected: u16,
) -> Result<Value> {
    let (status, value) = call(http, method.clone(), url.clone(), token, body).await?;
    if status != expected {
        bail!("{method} {url}: {status} (expected {expected}): {value}");
    }
    Ok(value)
}

struct Account {
    id: String,
    token: String,
    base: String,
}

async fn register(
    http: &reqwest::Client,
    base: &str,
    label: &str,
    district: &str,
) -> Result<Account> {
    let email = format!("{label}-{}@bench.invalid", Uuid::now_v7().simple());
    let body = expect(
        http,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/register"),
        None,
        Some(json!({
            "email": email,
            "password": PASSWORD,
            "display_name": label,
            "home_district_id": district,
        })),
        201,
    )
    .await?;
    Ok(Account {
        id: body["user"]["id"].as_str().context("user id")?.to_owned(),
        token: body["tokens"]["access_token"]
            .as_str()
            .context("access token")?
            .to_owned(),
        base: base.to_owned(),
    })
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = Count::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .one(db)
    .await?
    .context("count")?;
    Ok(row.n)
}

#[derive(Debug, FromQueryResult)]
struct StatusCount {
    status: String,
    n: i64,
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse()?;
    let n = options.n;
    let (a, b) = (options.a.clone(), options.b.clone());
    let base_of = |i: usize| {
        if i.is_multiple_of(2) {
            a.clone()
        } else {
            b.clone()
        }
    };
    let mut failures: Vec<String> = Vec::new();

    // The device keys: one pair for every subscription, so every push can be decrypted.
    let (keys, auth) = ece::generate_keypair_and_auth_secret()?;
    let p256dh = URL_SAFE_NO_PAD.encode(keys.pub_as_raw()?);
    let auth_b64 = URL_SAFE_NO_PAD.encode(auth);
    let receiver = Arc::new(Receiver {
        started: Instant::now(),
        components: keys.raw_components()?,
        auth: auth.to_vec(),
        n,
        count: AtomicU64::new(0),
        decrypt_failures: AtomicUsize::new(0),
        by_notification: Mutex::new(HashMap::new()),
    });
    let port = start_receiver(receiver.clone()).await?;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let districts = expect(
        &http,
        reqwest::Method::GET,
        format!("{a}/api/v1/districts"),
        None,
        None,
        200,
    )
    .await?;
    let district = districts
        .as_array()
        .and_then(|all| all.first())
        .ok_or_else(|| anyhow!("no district in {districts}"))?;
    let district_id = district["id"].as_str().context("district id")?.to_owned();
    let district_name = district["name"].as_str().unwrap_or("?").to_owned();

    let db = Database::connect(&options.database_url).await?;
    let filling = Instant::now();
    bench_support::fill_residents(
        &db,
        n,
        district_id.parse()?,
        port,
        &p256dh,
        &auth_b64,
        "two-instances",
    )
    .await?;
    println!(
        "filled {n} residents of {district_name} with one device each in {:.1} s; \
         receiver on 127.0.0.1:{port}; instance A {a} (pid {}), instance B {b}",
        filling.elapsed().as_secs_f64(),
        options.pid_a
    );

    // Instance A's outgoing connections, sampled until it dies.
    let a_ports = Arc::new(Mutex::new(HashSet::<u16>::new()));
    let a_dead = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (a_ports, a_dead, pid) = (a_ports.clone(), a_dead.clone(), options.pid_a);
        tokio::spawn(async move {
            while !a_dead.load(Ordering::Relaxed) {
                let ports = local_ports(&socket_inodes(pid));
                a_ports.lock().unwrap().extend(ports);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    // Accounts: the admin, a district leader, drivers and riders, registered alternately
    // through A and B.
    let login = expect(
        &http,
        reqwest::Method::POST,
        format!("{a}/api/v1/auth/login"),
        None,
        Some(json!({"email": options.admin_email, "password": options.admin_password})),
        200,
    )
    .await?;
    let admin = login["tokens"]["access_token"]
        .as_str()
        .context("admin token")?
        .to_owned();
    let accounts_started = Instant::now();
    let leader = register(&http, &b, "ortsbuergermeisterin", &district_id).await?;
    let drivers: Vec<Account> = join_all((0..options.drivers).map(|i| {
        // The first half accepts through A, the second through B.
        let base = if i < options.drivers / 2 { &a } else { &b };
        register(&http, base, "fahrerin", &district_id)
    }))
    .await
    .into_iter()
    .collect::<Result<_>>()?;
    let riders: Vec<Account> = join_all((0..options.riders).map(|i| {
        let base = base_of(i);
        let http = &http;
        let district_id = &district_id;
        async move { register(http, &base, "fahrgast", district_id).await }
    }))
    .await
    .into_iter()
    .collect::<Result<_>>()?;
    for (who, role) in
        std::iter::once((&leader, "district_leader")).chain(drivers.iter().map(|d| (d, "driver")))
    {
        expect(
            &http,
            reqwest::Method::POST,
            format!("{b}/api/v1/users/{}/roles", who.id),
            Some(&admin),
            Some(json!({"role": role, "district_id": district_id})),
            201,
        )
        .await?;
    }
    println!(
        "registered 1 leader, {} drivers, {} riders and granted the roles in {:.1} s",
        drivers.len(),
        riders.len(),
        accounts_started.elapsed().as_secs_f64()
    );

    // ---- Rides: book, then every driver accepts every ride at once.
    let mut ride_ids = Vec::new();
    for i in 0..options.rides {
        let rider = &riders[i % riders.len()];
        let base = base_of(i);
        let pickup = Utc::now() + chrono::Duration::minutes(120 + 5 * i as i64);
        let ride = expect(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/rides"),
            Some(&rider.token),
            Some(json!({
                "pickup_district_id": district_id,
                "pickup_address": "Lindenstraße 4",
                "destination": "Hausarztpraxis Dr. Krause, Ballenstedt",
                "purpose": "medical",
                "pickup_at": pickup.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "flexibility_minutes": 15,
                "passengers": 1,
                "mobility_aids": ["walker"],
                "notes": "Bitte klingeln, ich brauche etwas Zeit.",
                "contact_phone": "039483 1234",
            })),
            201,
        )
        .await?;
        ride_ids.push(ride["id"].as_str().context("ride id")?.to_owned());
    }
    let race_started = Instant::now();
    let attempts = join_all(ride_ids.iter().enumerate().flat_map(|(r, ride)| {
        drivers.iter().enumerate().map({
            let http = &http;
            move |(d, driver)| async move {
                let reply = call(
                    http,
                    reqwest::Method::POST,
                    format!("{}/api/v1/rides/{ride}/accept", driver.base),
                    Some(&driver.token),
                    Some(json!({})),
                )
                .await;
                (r, d, reply)
            }
        })
    }))
    .await;
    let race_time = race_started.elapsed();
    let mut winners: Vec<Vec<usize>> = vec![Vec::new(); ride_ids.len()];
    let mut conflicts = 0usize;
    let mut via_a_wins = 0usize;
    for (r, d, reply) in attempts {
        match reply {
            Ok((200, _)) => {
                winners[r].push(d);
                if drivers[d].base == a {
                    via_a_wins += 1;
                }
            }
            Ok((409, _)) => conflicts += 1,
            Ok((status, body)) => failures.push(format!(
                "ride {}: accept by driver {d} answered {status}: {body}",
                ride_ids[r]
            )),
            Err(err) => failures.push(format!("ride {}: accept failed: {err:#}", ride_ids[r])),
        }
    }
    let mut rides_ok = 0usize;
    for (r, ride) in ride_ids.iter().enumerate() {
        if winners[r].len() != 1 {
            failures.push(format!(
                "ride {ride}: {} accepts succeeded (drivers {:?})",
                winners[r].len(),
                winners[r]
            ));
            continue;
        }
        let winner = &drivers[winners[r][0]];
        let mut consistent = true;
        for base in [&a, &b] {
            let view = expect(
                &http,
                reqwest::Method::GET,
                format!("{base}/api/v1/rides/{ride}"),
                Some(&admin),
                None,
                200,
            )
            .await?;
            let accepted_events = view["events"].as_array().map_or(0, |e| {
                e.iter().filter(|e| e["status"] == "accepted").count()
            });
            if view["status"] != "accepted"
                || view["driver_id"] != winner.id.as_str()
                || accepted_events != 1
            {
                consistent = false;
                failures.push(format!(
                    "ride {ride} through {base}: status {}, driver {}, {accepted_events} \
                     accepted events; winner {}",
                    view["status"], view["driver_id"], winner.id
                ));
            }
        }
        if consistent {
            rides_ok += 1;
        }
    }
    println!(
        "rides: {} booked; {} accepts raced ({} drivers × {} rides, half through each \
         instance) in {:.2} s: {} succeeded ({} through A), {conflicts} answered 409; \
         {rides_ok} rides show exactly their one driver through both instances",
        ride_ids.len(),
        ride_ids.len() * drivers.len(),
        drivers.len(),
        ride_ids.len(),
        race_time.as_secs_f64(),
        winners.iter().map(Vec::len).sum::<usize>(),
        via_a_wins,
    );

    // ---- News: scheduled items first (they need the time), then the warnings.
    let mut scheduled: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let posted_at = Instant::now();
    for s in 0..options.scheduled {
        let base = base_of(s);
        let publish_at = Utc::now() + chrono::Duration::seconds(4 + 2 * s as i64);
        let item = expect(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/news"),
            Some(&leader.token),
            Some(json!({
                "title": format!("Bekanntmachung {}", s + 1),
                "body": "Die Ortschaftsratssitzung findet am Donnerstag um 19 Uhr im \
                         Dorfgemeinschaftshaus statt.",
                "category": "announcement",
                "district_ids": [district_id],
                "publish_at": publish_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "notify": true,
            })),
            201,
        )
        .await?;
        if item["status"] != "scheduled" {
            failures.push(format!("scheduled item answered status {}", item["status"]));
        }
        scheduled.push(item["id"].as_str().context("news id")?.to_owned());
    }
    for w in 0..options.warnings {
        let base = base_of(w);
        let item = expect(
            &http,
            reqwest::Method::POST,
            format!("{base}/api/v1/news"),
            Some(&leader.token),
            Some(json!({
                "title": format!("Unwetterwarnung {}", w + 1),
                "body": "Sturmböen bis 100 km/h. Bitte lose Gegenstände sichern.",
                "category": "warning",
                "district_ids": [district_id],
                "notify": true,
            })),
            201,
        )
        .await?;
        warnings.push(item["id"].as_str().context("news id")?.to_owned());
    }
    let items: Vec<String> = warnings.iter().chain(&scheduled).cloned().collect();
    let expected = items.len() * n;
    println!(
        "posted {} warnings and {} scheduled items (publish_at +4 s, +6 s, …), alternately \
         through A and B, in {:.2} s; expecting {expected} pushes ({} items × {n} devices)",
        warnings.len(),
        scheduled.len(),
        posted_at.elapsed().as_secs_f64(),
        items.len()
    );

    // ---- Wait; kill A on the way.
    let kill_threshold = ((expected as f64) * options.kill_at).ceil() as u64;
    let deadline = posted_at + options.timeout;
    let mut killed_at: Option<Duration> = None;
    let mut at_kill = 0u64;
    let mut done_at: Option<Duration> = None;
    let mut progress = Vec::new();
    let mut next_mark = Instant::now() + Duration::from_secs(5);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let received = receiver.count.load(Ordering::Relaxed);
        if killed_at.is_none() && received >= kill_threshold {
            let status = std::process::Command::new("kill")
                .args(["-KILL", &options.pid_a.to_string()])
                .status()?;
            killed_at = Some(receiver.started.elapsed());
            at_kill = receiver.count.load(Ordering::Relaxed);
            a_dead.store(true, Ordering::Relaxed);
            println!(
                "kill -KILL {} ({status}) after {received} of {expected} pushes, {:.2} s \
                 after the first post",
                options.pid_a,
                posted_at.elapsed().as_secs_f64()
            );
        }
        if Instant::now() >= next_mark {
            progress.push(received);
            next_mark += Duration::from_secs(5);
        }
        let distinct = receiver.by_notification.lock().unwrap().len();
        if distinct >= expected && done_at.is_none() {
            done_at = Some(posted_at.elapsed());
        }
        if done_at.is_some() {
            // Everything arrived; wait until the server has nothing left queued either (a
            // claim of the dead worker is sent again only when its lease runs out).
            let pending = count(
                &db,
                "SELECT COUNT(*) AS n FROM push_delivery WHERE status = 'pending'",
            )
            .await?
                + count(
                    &db,
                    "SELECT COUNT(*) AS n FROM notice WHERE status = 'pending'",
                )
                .await?;
            if pending == 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                break;
            }
        }
        if Instant::now() >= deadline {
            failures.push(format!(
                "timeout after {:.0} s",
                options.timeout.as_secs_f64()
            ));
            break;
        }
    }
    let finished = posted_at.elapsed();
    sampler.abort();
    if killed_at.is_none() {
        failures.push("instance A was never killed (too few pushes arrived)".into());
    } else if alive(options.pid_a) {
        failures.push(format!(
            "instance A (pid {}) still alive after kill",
            options.pid_a
        ));
    }

    // ---- Checks: pushes.
    let a_ports = a_ports.lock().unwrap().clone();
    let by_notification = std::mem::take(&mut *receiver.by_notification.lock().unwrap());
    let wanted: HashSet<&str> = items.iter().map(String::as_str).collect();
    let mut per_pair: HashMap<(usize, &str), usize> = HashMap::new();
    let mut duplicates = 0usize;
    let mut late_duplicates = 0usize;
    let mut mixed = 0usize;
    let mut foreign = 0usize;
    let (mut from_a, mut from_b_before, mut after_kill) = (0usize, 0usize, 0usize);
    for arrivals in by_notification.values() {
        let first = &arrivals[0];
        if arrivals
            .iter()
            .any(|x| x.device != first.device || x.news_id != first.news_id)
        {
            mixed += 1;
        }
        if !wanted.contains(first.news_id.as_str()) {
            foreign += 1;
            continue;
        }
        *per_pair
            .entry((first.device, first.news_id.as_str()))
            .or_default() += 1;
        if arrivals.len() > 1 {
            duplicates += arrivals.len() - 1;
            let first_at = arrivals.iter().map(|x| x.at).min().unwrap_or_default();
            if killed_at.is_none_or(|k| first_at > k + KILL_SLACK) {
                late_duplicates += arrivals.len() - 1;
            }
        }
        for x in arrivals {
            match killed_at {
                Some(k) if x.at > k => after_kill += 1,
                _ if x.peer_port.is_some_and(|p| a_ports.contains(&p)) => from_a += 1,
                _ => from_b_before += 1,
            }
        }
    }
    let delivered_pairs = per_pair.len();
    let notifications_per_pair = per_pair.values().filter(|c| **c > 1).count();
    let mut missing_per_item = Vec::new();
    for item in &items {
        let got = (0..n)
            .filter(|d| per_pair.contains_key(&(*d, item.as_str())))
            .count();
        if got < n {
            missing_per_item.push(format!("{item}: {} missing", n - got));
        }
    }
    let received = receiver.count.load(Ordering::Relaxed);
    let decrypt_failures = receiver.decrypt_failures.load(Ordering::Relaxed);
    if !missing_per_item.is_empty() {
        failures.push(format!("pushes missing: {}", missing_per_item.join(", ")));
    }
    if decrypt_failures > 0 {
        failures.push(format!("{decrypt_failures} pushes could not be decrypted"));
    }
    if mixed > 0 || foreign > 0 {
        failures.push(format!(
            "{mixed} notification ids seen on different devices/items, {foreign} pushes \
             for items not posted here"
        ));
    }
    if notifications_per_pair > 0 {
        failures.push(format!(
            "{notifications_per_pair} (device, item) pairs got more than one notification id \
             (a notice expanded twice)"
        ));
    }
    if duplicates > IN_FLIGHT {
        failures.push(format!(
            "{duplicates} duplicate pushes: more than the {IN_FLIGHT} in flight at the killed \
             instance"
        ));
    }
    if late_duplicates > 0 {
        failures.push(format!(
            "{late_duplicates} duplicates whose first copy arrived after the kill \
             (sent twice by the surviving instance)"
        ));
    }

    // ---- Checks: the server's own records.
    let mut scheduled_ok = 0usize;
    for item in &scheduled {
        let view = expect(
            &http,
            reqwest::Method::GET,
            format!("{b}/api/v1/news/{item}"),
            None,
            None,
            200,
        )
        .await?;
        let notices = count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM notice WHERE subject_id = '{item}'"),
        )
        .await?;
        let jobs = count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM job WHERE unique_key = 'news.publish:{item}'"),
        )
        .await?;
        if view["status"] == "published" && notices == 1 && jobs == 0 {
            scheduled_ok += 1;
        } else {
            failures.push(format!(
                "scheduled item {item}: status {}, {notices} notices, {jobs} publish jobs left",
                view["status"]
            ));
        }
    }
    for item in &warnings {
        let notices = count(
            &db,
            &format!("SELECT COUNT(*) AS n FROM notice WHERE subject_id = '{item}'"),
        )
        .await?;
        if notices != 1 {
            failures.push(format!("warning {item}: {notices} notices"));
        }
    }
    let inbox_dupes = count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT notice_id, user_id FROM inbox_entry \
         GROUP BY notice_id, user_id HAVING COUNT(*) > 1) d",
    )
    .await?;
    if inbox_dupes > 0 {
        failures.push(format!("{inbox_dupes} inbox entries twice"));
    }
    let deliveries: Vec<StatusCount> = StatusCount::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT status, COUNT(*) AS n FROM push_delivery GROUP BY status ORDER BY status"
            .to_owned(),
    ))
    .all(&db)
    .await?;
    let sent = deliveries
        .iter()
        .find(|s| s.status == "sent")
        .map_or(0, |s| s.n);
    if sent as usize != expected {
        failures.push(format!(
            "the server recorded {sent} deliveries as sent, expected {expected}"
        ));
    }
    let retried = count(
        &db,
        "SELECT COUNT(*) AS n FROM push_delivery WHERE attempts > 1",
    )
    .await?;
    let dead_jobs = count(&db, "SELECT COUNT(*) AS n FROM job WHERE status = 'dead'").await?;
    if dead_jobs > 0 {
        failures.push(format!("{dead_jobs} dead jobs"));
    }
    let accepted_twice = count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT ride_id FROM ride_event WHERE status = 'accepted' \
         GROUP BY ride_id HAVING COUNT(*) > 1) d",
    )
    .await?;
    if accepted_twice > 0 {
        failures.push(format!("{accepted_twice} rides with two accepted events"));
    }
    let b_ready = call(
        &http,
        reqwest::Method::GET,
        format!("{b}/health/ready"),
        None,
        None,
    )
    .await
    .map(|(s, _)| s)
    .unwrap_or(0);
    if b_ready != 200 {
        failures.push(format!("instance B not ready at the end ({b_ready})"));
    }

    // ---- Report.
    println!();
    println!(
        "pushes: {received} received, {decrypt_failures} undecryptable; {delivered_pairs} of \
         {expected} (device, item) pairs delivered; {duplicates} duplicates (first copy before \
         the kill: {}, after: {late_duplicates}); bound: the {IN_FLIGHT} in flight",
        duplicates - late_duplicates
    );
    println!(
        "senders: before the kill {from_a} pushes from A, {from_b_before} from B; \
         after the kill {after_kill} (B alone); arrivals at the kill {at_kill}"
    );
    println!(
        "server: deliveries by status {:?}; {retried} sent after more than one claim \
         (taken over from A); {dead_jobs} dead jobs",
        deliveries
            .iter()
            .map(|s| format!("{}={}", s.status, s.n))
            .collect::<Vec<_>>()
    );
    println!(
        "scheduled items published once with one notice and all pushes: {scheduled_ok} of {}",
        scheduled.len()
    );
    println!("arrivals every 5 s: {progress:?}");
    println!(
        "timeline: kill at {}, all pushes there after {}, finished after {:.1} s (from the \
         first post)",
        killed_at.map_or("-".into(), |k| format!(
            "{:.2} s",
            (k.as_secs_f64() - (posted_at - receiver.started).as_secs_f64())
        )),
        done_at.map_or("-".into(), |d| format!("{:.1} s", d.as_secs_f64())),
        finished.as_secs_f64()
    );
    println!(
        "RESULT rides={} accepted_once={rides_ok} expected_pushes={expected} \
         delivered={delivered_pairs} duplicates={duplicates} late_duplicates={late_duplicates} \
         scheduled_ok={scheduled_ok} all_pushes_s={:.1} finished_s={:.1}",
        ride_ids.len(),
        done_at.map_or(-1.0, |d| d.as_secs_f64()),
        finished.as_secs_f64()
    );
    if failures.is_empty() {
        println!("PASS");
        Ok(())
    } else {
        for failure in &failures {
            println!("  - {failure}");
        }
        println!("FAIL ({} problems)", failures.len());
        std::process::exit(1);
    }
}
