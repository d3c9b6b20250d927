//! The console in a real browser (headless Chromium through WebDriver): each role's main flow,
//! and axe-core on every page it passes. Switched on by `.ci/browser`, which installs the
//! browser and sets:
//!
//! - `DORFAPP_TEST_BROWSER`: the WebDriver URL (chromedriver);
//! - `DORFAPP_TEST_AXE`: the path of `axe.min.js`;
//! - `DORFAPP_TEST_SCREENSHOTS`: a folder for screenshots of the main pages (optional).
//!
//! Without them each test says it was skipped and passes, so `cargo test` needs no browser.

mod a11y;
mod flows;

use std::{path::PathBuf, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::*;

/// What `.ci/browser` provides.
pub struct BrowserEnv {
    webdriver: String,
    axe: String,
    screenshots: Option<PathBuf>,
}

impl BrowserEnv {
    pub fn from_env() -> Option<Self> {
        let webdriver = std::env::var("DORFAPP_TEST_BROWSER").ok()?;
        let axe_path =
            std::env::var("DORFAPP_TEST_AXE").expect("DORFAPP_TEST_AXE with DORFAPP_TEST_BROWSER");
        let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| panic!("{axe_path}: {e}"));
        Some(Self {
            webdriver,
            axe,
            screenshots: std::env::var_os("DORFAPP_TEST_SCREENSHOTS").map(PathBuf::from),
        })
    }
}

/// Skips the test (with a line saying so) when no browser is configured.
macro_rules! browser_or_skip {
    () => {
        match $crate::browser::BrowserEnv::from_env() {
            Some(env) => env,
            None => {
                eprintln!("browser: skipped (DORFAPP_TEST_BROWSER unset; .ci/browser runs these)");
                return;
            }
        }
    };
}
pub(crate) use browser_or_skip;

/// The app served on a real port, as a browser needs it, with the test's clock and helpers.
pub struct Served {
    pub app: TestApp,
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the app (with an administrator) on `127.0.0.1:<free port>`.
pub async fn serve(configure: impl FnOnce(&mut dorfapp::config::Settings)) -> Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.set_nonblocking(true).expect("non-blocking");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let public = base.clone();
    let app = spawn_with_admin_and(|s| {
        s.public_url = Some(public);
        configure(s);
    })
    .await;
    let endpoint = dorfapp::app(app.state.clone());
    let acceptor = poem::listener::TcpAcceptor::from_std(listener).expect("acceptor");
    let server = tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor)
            .run(endpoint)
            .await;
    });
    Served { app, base, server }
}

/// A headless Chromium session, closed when the test ends.
pub struct Page {
    pub client: Client,
    pub base: String,
    axe: String,
    screenshots: Option<PathBuf>,
}

/// The window sizes the console is checked at.
pub const DESK: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

impl Page {
    pub async fn open(env: &BrowserEnv, served: &Served) -> Self {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-quic", "--lang=de-DE",
                ],
                "prefs": {"intl.accept_languages": "de-DE,de"}
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&env.webdriver)
            .await
            .expect("a WebDriver session");
        let page = Self {
            client,
            base: served.base.clone(),
            axe: env.axe.clone(),
            screenshots: env.screenshots.clone(),
        };
        page.size(DESK).await;
        page
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn size(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window size");
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn fill(&self, id: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Clicks the button with this text and waits for the next page.
    pub async fn press(&self, label: &str) {
        self.mark_page().await;
        let xpath = format!("//button[normalize-space()='{label}']");
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("button {label}: {e}"))
            .click()
            .await
            .expect("click");
        self.settled().await;
    }

    /// Clicks the element (a checkbox, a link that stays on the page).
    pub async fn click(&self, locator: Locator<'_>) {
        self.client
            .find(locator)
            .await
            .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks a link and waits for the page it leads to.
    pub async fn follow(&self, locator: Locator<'_>) {
        self.mark_page().await;
        self.click(locator).await;
        self.settled().await;
    }

    /// Marks the current document, so that [`Page::settled`] can tell when it was replaced.
    pub async fn mark_page(&self) {
        self.client
            .execute("document.documentElement.dataset.testStale = '1'", vec![])
            .await
            .expect("mark");
    }

    /// Waits until the marked page has been replaced by the next one and that has loaded.
    pub async fn settled(&self) {
        for _ in 0..200 {
            let state = self
                .client
                .execute(
                    "return document.documentElement.dataset.testStale !== '1' \
                     && document.readyState === 'complete'",
                    vec![],
                )
                .await;
            if matches!(state, Ok(Value::Bool(true))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the next page did not load");
    }

    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .expect("text")
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/console/login").await;
        self.fill("email", email).await;
        self.fill("password", password).await;
        self.press("Anmelden").await;
    }

    /// axe-core on the current page: no violation of WCAG 2.0/2.1 level A or AA.
    pub async fn assert_accessible(&self, what: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "{what} ({}): {}",
            self.path().await,
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
    }

    /// What axe-core finds on the current page (WCAG 2.0/2.1 A and AA rules only).
    pub async fn axe_violations(&self) -> Vec<Value> {
        self.client
            .execute(&self.axe, vec![])
            .await
            .expect("axe-core loads into the page");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {
                   runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                   resultTypes: ['violations']
                 }).then(r => done(r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(' '))
                 }))), e => done([{id: 'axe-error', help: String(e), nodes: []}]));",
                vec![],
            )
            .await
            .expect("axe runs");
        found.as_array().cloned().unwrap_or_default()
    }

    /// The page fits the window's width: nothing to scroll sideways (WCAG 1.4.10 reflow).
    pub async fn assert_no_sideways_scroll(&self, what: &str) {
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth]",
                vec![],
            )
            .await
            .expect("widths");
        let (scroll, inner) = (
            widths[0].as_u64().unwrap_or(0),
            widths[1].as_u64().unwrap_or(0),
        );
        if scroll > inner {
            // Name the widest offenders, so the fix does not need a second run.
            let offenders = self
                .client
                .execute(
                    "return [...document.querySelectorAll('body *')]
                       .filter(e => e.getBoundingClientRect().right > window.innerWidth)
                       .slice(-5)
                       .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' +
                            Math.round(e.getBoundingClientRect().right))",
                    vec![],
                )
                .await
                .unwrap_or_default();
            panic!("{what}: {scroll} px wide in a {inner} px window; {offenders}");
        }
    }

    /// A screenshot for `docs/console.md`, when screenshots are asked for.
    pub async fn screenshot(&self, name: &str) {
        if let Some(dir) = &self.screenshots {
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
        }
    }
}
