//! The binary as an operator meets it: `dorfapp openapi` without a database, and `dorfapp`
//! with no configuration in an empty directory: ready within seconds, six districts, its keys
//! created once and reused, a clean stop on SIGTERM.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_dorfapp");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A tiny HTTP/1.1 GET, so that this test needs no client library.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

fn start(dir: &Path, port: u16) -> Child {
    Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DORFAPP_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dorfapp")
}

fn wait_ready(port: u16, within: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if let Some((200, _)) = get(port, "/health/ready") {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("not ready within {within:?}");
}

fn terminate(mut child: Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            assert!(exit.success(), "clean exit on SIGTERM, got {exit}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn openapi_is_printed_without_a_database() {
    let output = Command::new(BIN)
        .arg("openapi")
        .env("DORFAPP_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run");
    assert!(output.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(spec["openapi"], "3.0.0");
    assert!(spec["paths"]["/api/v1/districts"].is_object());

    let yaml = Command::new(BIN)
        .args(["openapi", "--yaml"])
        .output()
        .expect("run");
    assert!(yaml.status.success());
    let yaml: serde_json::Value = serde_yaml::from_slice(&yaml.stdout).expect("YAML");
    assert_eq!(yaml, spec, "the YAML says what the JSON says");
}

#[test]
fn with_no_configuration_it_serves_the_districts_from_an_empty_directory() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let server = start(dir.path(), port);
    let took = wait_ready(port, Duration::from_secs(5));
    eprintln!("ready after {took:?}");

    let (status, body) = get(port, "/api/v1/districts").expect("districts");
    assert_eq!(status, 200);
    let districts: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(districts.as_array().map(Vec::len), Some(6));
    let (status, body) = get(port, "/docs").expect("docs");
    assert_eq!(status, 200);
    assert!(body.to_lowercase().contains("swagger"));
    terminate(server);

    let data = dir.path().join("data");
    for file in ["dorfapp.db", "token_signing.key", "vapid_private.key"] {
        assert!(data.join(file).exists(), "{file} in ./data");
    }
    let vapid = std::fs::read_to_string(data.join("vapid_private.key")).expect("key");
    let token = std::fs::read_to_string(data.join("token_signing.key")).expect("key");

    // A restart keeps the keys and does not seed twice.
    let server = start(dir.path(), port);
    wait_ready(port, Duration::from_secs(5));
    let (_, body) = get(port, "/api/v1/districts").expect("districts");
    let districts: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(districts.as_array().map(Vec::len), Some(6));
    terminate(server);
    assert_eq!(
        std::fs::read_to_string(data.join("vapid_private.key")).expect("key"),
        vapid
    );
    assert_eq!(
        std::fs::read_to_string(data.join("token_signing.key")).expect("key"),
        token
    );
}

#[test]
fn migrate_runs_alone_and_bad_configuration_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let output = Command::new(BIN)
        .arg("migrate")
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("data/dorfapp.db").exists());

    let output = Command::new(BIN)
        .arg("migrate")
        .current_dir(dir.path())
        .env("DORFAPP_TIMEZONE", "Europe/Atlantis")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("timezone"));
}

#[test]
fn generate_vapid_keys_prints_a_usable_pair() {
    let output = Command::new(BIN)
        .arg("generate-vapid-keys")
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("public_key="))
        .expect("public key");
    let private = text
        .lines()
        .find_map(|l| l.strip_prefix("private_key="))
        .expect("private key");
    assert_eq!(public.len(), 87, "65 bytes base64url without padding");
    let derived = domain::keys::VapidKeys::from_private_key(private).expect("valid");
    assert_eq!(derived.public_key, public);
}

#[test]
fn create_admin_and_seed_demo_prepare_accounts_that_can_sign_in() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .env("DORFAPP_LOG", "warn")
            .output()
            .expect("run")
    };
    let created = run(&[
        "create-admin",
        "--email",
        "Chefin@Ballenstedt.example",
        "--password",
        "ein sehr langes Passwort",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("created administrator"));

    let again = run(&[
        "create-admin",
        "--email",
        "chefin@ballenstedt.example",
        "--password",
        "ein sehr langes Passwort",
    ]);
    assert!(!again.status.success(), "the same email twice is refused");
    let short = run(&[
        "create-admin",
        "--email",
        "zwei@ballenstedt.example",
        "--password",
        "kurz",
    ]);
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password"),
        "says what is wrong"
    );

    let demo = run(&["seed-demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let report = String::from_utf8_lossy(&demo.stdout).to_string();
    for role in [
        "admin",
        "district_leader",
        "dispatcher",
        "driver",
        "shop_operator",
        "resident",
    ] {
        assert!(report.contains(role), "{role} in {report}");
    }
    assert!(
        run(&["seed-demo"]).status.success(),
        "running it again is harmless"
    );

    // Both kinds of account sign in on the running server.
    let port = free_port();
    let server = start(dir.path(), port);
    wait_ready(port, Duration::from_secs(5));
    for (email, password) in [
        ("chefin@ballenstedt.example", "ein sehr langes Passwort"),
        ("fahrer@demo.dorfapp.invalid", dorfapp::demo::DEMO_PASSWORD),
    ] {
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        let (status, answer) = post(port, "/api/v1/auth/login", &body).expect("login");
        assert_eq!(status, 200, "{email}: {answer}");
    }
    terminate(server);
}

fn post(port: u16, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}
