//! Typed settings: built-in defaults, then an optional TOML file (`DORFAPP_CONFIG`), then
//! `DORFAPP_*` environment variables. Secrets never appear in `Debug` output.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use chrono_tz::Tz;
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// A string that must not be printed: passwords and the like.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Every setting of the server. Field names are the `DORFAPP_*` variables without the prefix,
/// lower-cased, and the keys of the optional TOML file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub bind: SocketAddr,
    /// Where `/metrics` is served (e.g. `127.0.0.1:9464`); not at all when unset. Never on the
    /// public API port.
    pub metrics_bind: Option<SocketAddr>,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<Secret>,
    pub database_max_connections: u32,
    pub public_url: Option<String>,
    pub timezone: String,
    pub seed_file: Option<PathBuf>,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub access_token_ttl_seconds: u64,
    pub refresh_token_ttl_seconds: u64,
    /// How long a session lasts at most from its login, however often it is refreshed.
    pub session_max_lifetime_seconds: u64,
    /// A web console sign-in ends after this many minutes without a request.
    pub console_idle_minutes: u32,
    /// A web console sign-in ends this many hours after it began, however busy.
    pub console_session_hours: u32,
    /// Open future ride legs a rider may have booked themselves.
    pub quota_open_rides_per_rider: u32,
    /// `POST /push/test` per person and hour.
    pub quota_test_pushes_per_hour: u32,
    /// Registrations per client address and hour.
    pub quota_registrations_per_address_per_hour: u32,
    /// News items per author and hour.
    pub quota_news_per_author_per_hour: u32,
    /// Anliegen one person files in a day.
    pub quota_anliegen_per_person_per_day: u32,
    /// "Ich auch" per person and hour.
    pub quota_anliegen_supports_per_hour: u32,
    /// Events per author and hour.
    pub quota_events_per_author_per_hour: u32,
    /// Failed logins per account within 15 minutes before 429.
    pub login_max_failures: u32,
    /// Failed logins per client address within 15 minutes before 429: much higher, since many
    /// honest people can share one address (care home, village hall, carrier NAT).
    pub login_max_failures_per_address: u32,
    /// How long a throttled login waits before its 429: a closed loop of guesses gets one
    /// answer per connection and delay, instead of as many as the CPU can give.
    pub login_throttle_delay_ms: u64,
    pub ride_min_lead_minutes: u32,
    pub ride_reminder_minutes: u32,
    /// The ride desk's telephone number as residents dial it ("039483 1234"): printed on the
    /// Aushang and named in text messages where a rider must call. Unset: not shown.
    pub ride_desk_phone: Option<String>,
    pub vapid_subject: String,
    pub push_allow_http: bool,
    /// The SMS provider: `seven` (seven.io); unset, no text messages are sent (`docs/sms.md`).
    pub sms_provider: Option<String>,
    /// The provider's API base.
    pub sms_api_url: String,
    /// The provider's API key.
    pub sms_api_key: Option<Secret>,
    /// The key the provider signs its webhooks with.
    pub sms_signing_key: Option<Secret>,
    /// The sender: a number rented from the provider that replies reach (`+4915799912345`).
    pub sms_from: Option<String>,
    /// The public address of the webhooks as registered with the provider, without the
    /// trailing `/dlr` or `/inbound`; defaults to `<public_url>/api/v1/sms/webhooks/seven`.
    /// The signature covers it, so it must be exactly what the provider calls.
    pub sms_webhook_url: Option<String>,
    /// Billed segments a month before only urgent messages go.
    pub sms_monthly_budget: u32,
    /// `HH:MM-HH:MM` when ordinary messages wait (warnings do not); empty for none.
    pub sms_quiet_hours: String,
    /// Comma-separated ISO country codes messages may go to; a national number is read as the
    /// first one's.
    pub sms_countries: String,
    /// Accept an `http://` provider address (development and tests only).
    pub sms_allow_http: bool,
    pub log: String,
    pub log_format: LogFormat,
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
    /// Comma-separated origins allowed by CORS, or `*` for any origin.
    pub cors_origins: String,
    /// How often an idle job worker looks for due work.
    pub job_poll_interval_ms: u64,
    /// How long a rendered page of the public news feed is served from memory at most; the
    /// bound on how late a change made by another instance shows. 0 turns the cache off.
    pub feed_cache_ttl_ms: u64,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_timeout_seconds: u64,
    /// Token signing key file; defaults to `<data_dir>/token_signing.key`. Point every
    /// instance of a scaled-out installation at the same file.
    pub token_key_file: Option<PathBuf>,
    /// VAPID private key file; defaults to `<data_dir>/vapid_private.key`.
    pub vapid_key_file: Option<PathBuf>,
    /// Where photos are kept: unset for `<data_dir>/media` on the local disk, or
    /// `s3://bucket/prefix` for S3-compatible storage shared by several instances (credentials,
    /// region and endpoint from the usual `AWS_*` variables).
    pub media_url: Option<String>,
    /// Largest photo accepted, in bytes.
    pub media_max_bytes: usize,
    /// Photos processed at once by this instance (each takes a core and about ten times its
    /// file size in memory for up to a second); others wait their turn.
    pub media_parallel: usize,
    /// Photos a person may upload a day.
    pub quota_media_per_person_per_day: u32,
    /// Comma-separated addresses of reverse proxies whose `X-Forwarded-For` is believed (for
    /// login throttling by client address). Empty: the TCP peer is the client.
    pub trusted_proxies: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_bind: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 10,
            public_url: None,
            timezone: "Europe/Berlin".into(),
            seed_file: None,
            admin_email: None,
            admin_password: None,
            access_token_ttl_seconds: 900,
            refresh_token_ttl_seconds: 2_592_000,
            session_max_lifetime_seconds: 15_552_000,
            console_idle_minutes: 240,
            console_session_hours: 12,
            quota_open_rides_per_rider: domain::quotas::Quotas::default().open_rides_per_rider,
            quota_test_pushes_per_hour: domain::quotas::Quotas::default().test_pushes_per_hour,
            quota_registrations_per_address_per_hour: domain::quotas::Quotas::default()
                .registrations_per_address_per_hour,
            quota_news_per_author_per_hour: domain::quotas::Quotas::default()
                .news_per_author_per_hour,
            quota_anliegen_per_person_per_day: domain::quotas::Quotas::default()
                .anliegen_per_person_per_day,
            quota_anliegen_supports_per_hour: domain::quotas::Quotas::default()
                .anliegen_supports_per_hour,
            quota_events_per_author_per_hour: domain::quotas::Quotas::default()
                .events_per_author_per_hour,
            login_max_failures: 5,
            login_max_failures_per_address: 100,
            login_throttle_delay_ms: 1000,
            ride_min_lead_minutes: 60,
            ride_reminder_minutes: 60,
            ride_desk_phone: None,
            vapid_subject: "mailto:admin@localhost".into(),
            push_allow_http: false,
            sms_provider: None,
            sms_api_url: "https://gateway.seven.io/api".into(),
            sms_api_key: None,
            sms_signing_key: None,
            sms_from: None,
            sms_webhook_url: None,
            sms_monthly_budget: 500,
            sms_quiet_hours: "21:00-08:00".into(),
            sms_countries: "DE".into(),
            sms_allow_http: false,
            log: "info".into(),
            log_format: LogFormat::Text,
            body_limit_bytes: 1024 * 1024,
            cors_origins: "*".into(),
            job_poll_interval_ms: 1000,
            feed_cache_ttl_ms: 1000,
            shutdown_timeout_seconds: 30,
            token_key_file: None,
            vapid_key_file: None,
            trusted_proxies: String::new(),
            media_url: None,
            media_max_bytes: media::Limits::default().max_bytes,
            media_parallel: 2,
            quota_media_per_person_per_day: 30,
        }
    }
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("invalid setting {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

impl Settings {
    /// Defaults, then the TOML file named by `DORFAPP_CONFIG` (if set), then the environment.
    /// The quotas where a person's real need ends.
    pub fn quotas(&self) -> domain::quotas::Quotas {
        domain::quotas::Quotas {
            open_rides_per_rider: self.quota_open_rides_per_rider,
            test_pushes_per_hour: self.quota_test_pushes_per_hour,
            registrations_per_address_per_hour: self.quota_registrations_per_address_per_hour,
            news_per_author_per_hour: self.quota_news_per_author_per_hour,
            anliegen_per_person_per_day: self.quota_anliegen_per_person_per_day,
            anliegen_supports_per_hour: self.quota_anliegen_supports_per_hour,
            events_per_author_per_hour: self.quota_events_per_author_per_hour,
        }
    }

    /// How long a web console sign-in lasts.
    pub fn console_config(&self) -> domain::auth::console::ConsoleConfig {
        domain::auth::console::ConsoleConfig {
            idle: chrono::Duration::minutes(i64::from(self.console_idle_minutes)),
            lifetime: chrono::Duration::hours(i64::from(self.console_session_hours)),
        }
    }

    /// The login throttle's limits.
    pub fn login_limits(&self) -> domain::accounts::LoginLimits {
        domain::accounts::LoginLimits {
            per_account: self.login_max_failures,
            per_address: self.login_max_failures_per_address,
        }
    }

    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Ok(path) = std::env::var("DORFAPP_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        // `DORFAPP_CONFIG` names the file; `DORFAPP_TEST_DATABASE_URL` and
        // `DORFAPP_TEST_MEDIA_URL` belong to the test suite; none is a setting.
        figment = figment.merge(Env::prefixed("DORFAPP_").ignore(&[
            "config",
            "test_database_url",
            "test_media_url",
        ]));
        Self::from_figment(figment)
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.time_zone()?;
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid {
                key: "database_max_connections",
                reason: "must be at least 1".into(),
            });
        }
        // Bounded: a huge lifetime would overflow date arithmetic at the first login.
        for (key, value, max) in [
            (
                "access_token_ttl_seconds",
                self.access_token_ttl_seconds,
                24 * 3600,
            ),
            (
                "refresh_token_ttl_seconds",
                self.refresh_token_ttl_seconds,
                366 * 24 * 3600,
            ),
            (
                "session_max_lifetime_seconds",
                self.session_max_lifetime_seconds,
                3 * 366 * 24 * 3600,
            ),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("must be between 1 and {max} seconds"),
                });
            }
        }
        for (key, value, max) in [
            (
                "console_idle_minutes",
                self.console_idle_minutes,
                7 * 24 * 60,
            ),
            ("console_session_hours", self.console_session_hours, 31 * 24),
        ] {
            if value == 0 || value > max {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("must be between 1 and {max}"),
                });
            }
        }
        if self.access_token_ttl_seconds >= self.refresh_token_ttl_seconds {
            return Err(ConfigError::Invalid {
                key: "access_token_ttl_seconds",
                reason: "must be shorter than refresh_token_ttl_seconds".into(),
            });
        }
        if let Some(phone) = &self.ride_desk_phone
            && !domain::contact::looks_like_phone(phone)
        {
            return Err(ConfigError::Invalid {
                key: "ride_desk_phone",
                reason: "must be a telephone number as residents dial it, e.g. 039483 1234".into(),
            });
        }
        self.validate_sms()?;
        if self.job_poll_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                key: "job_poll_interval_ms",
                reason: "must be positive".into(),
            });
        }
        Ok(())
    }

    /// A provider, when named, needs its key, signing key and sender; the other SMS settings
    /// must read as documented even while SMS is off, so a typo shows at once.
    fn validate_sms(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| ConfigError::Invalid {
            key,
            reason: reason.into(),
        };
        self.sms_quiet_hours_window()
            .map_err(|reason| invalid("sms_quiet_hours", reason))?;
        if self.sms_country_list().is_empty()
            || self
                .sms_country_list()
                .iter()
                .any(|c| c.len() != 2 || !c.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(invalid(
                "sms_countries",
                "must be ISO 3166 country codes, e.g. DE or DE,AT",
            ));
        }
        let Some(provider) = &self.sms_provider else {
            return Ok(());
        };
        if provider != "seven" {
            return Err(invalid(
                "sms_provider",
                "the only provider built in is seven (seven.io)",
            ));
        }
        let blank =
            |secret: &Option<Secret>| secret.as_ref().is_none_or(|s| s.expose().trim().is_empty());
        if blank(&self.sms_api_key) {
            return Err(invalid("sms_api_key", "is required with sms_provider"));
        }
        if blank(&self.sms_signing_key) {
            return Err(invalid(
                "sms_signing_key",
                "is required with sms_provider: unsigned webhooks are never believed",
            ));
        }
        let from = self.sms_from.as_deref().unwrap_or_default();
        let digits = from.strip_prefix('+').unwrap_or(from);
        if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(
                "sms_from",
                "is required with sms_provider: the number rented from the provider in E.164, \
                 e.g. +4915799912345 (a name cannot be replied to)",
            ));
        }
        if !self.sms_allow_http && !self.sms_api_url.starts_with("https://") {
            return Err(invalid(
                "sms_api_url",
                "must be https (sms_allow_http is for tests)",
            ));
        }
        Ok(())
    }

    /// `DORFAPP_SMS_QUIET_HOURS` read; `Ok(None)` when empty.
    fn sms_quiet_hours_window(
        &self,
    ) -> Result<Option<domain::push_prefs::QuietHours>, &'static str> {
        let window = self.sms_quiet_hours.trim();
        if window.is_empty() {
            return Ok(None);
        }
        let (start, end) = window
            .split_once('-')
            .ok_or("must be HH:MM-HH:MM, e.g. 21:00-08:00, or empty")?;
        domain::push_prefs::QuietHours::from_stored(Some(start.trim()), Some(end.trim()))
            .filter(|quiet| quiet.start != quiet.end)
            .map(Some)
            .ok_or("must be HH:MM-HH:MM, e.g. 21:00-08:00, or empty")
    }

    fn sms_country_list(&self) -> Vec<String> {
        self.sms_countries
            .split(',')
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// How text messages are sent (see [`domain::sms::SmsConfig`]).
    pub fn sms_config(&self) -> Result<domain::sms::SmsConfig, ConfigError> {
        Ok(domain::sms::SmsConfig {
            enabled: self.sms_provider.is_some(),
            countries: self.sms_country_list(),
            quiet_hours: self
                .sms_quiet_hours_window()
                .map_err(|reason| ConfigError::Invalid {
                    key: "sms_quiet_hours",
                    reason: reason.into(),
                })?,
            monthly_budget: self.sms_monthly_budget,
            ride_desk_phone: self.ride_desk_phone.clone(),
            time_zone: self.time_zone()?,
        })
    }

    /// The webhooks' base address as the provider calls it.
    pub fn sms_webhook_url(&self) -> String {
        self.sms_webhook_url
            .clone()
            .unwrap_or_else(|| format!("{}/api/v1/sms/webhooks/seven", self.public_url()))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The municipality's time zone.
    pub fn time_zone(&self) -> Result<Tz, ConfigError> {
        Tz::from_str(&self.timezone).map_err(|_| ConfigError::Invalid {
            key: "timezone",
            reason: format!("unknown IANA time zone {:?}", self.timezone),
        })
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("dorfapp.db").display()
            ),
        }
    }

    /// Base for links in notices.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn token_key_path(&self) -> PathBuf {
        self.token_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("token_signing.key"))
    }

    pub fn vapid_key_path(&self) -> PathBuf {
        self.vapid_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("vapid_private.key"))
    }

    pub fn job_poll_interval(&self) -> Duration {
        Duration::from_millis(self.job_poll_interval_ms)
    }

    /// What an upload may be.
    pub fn media_limits(&self) -> media::Limits {
        media::Limits {
            max_bytes: self.media_max_bytes,
            ..media::Limits::default()
        }
    }

    pub fn feed_cache_ttl(&self) -> Duration {
        Duration::from_millis(self.feed_cache_ttl_ms)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_seconds)
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxy_list(&self) -> Vec<std::net::IpAddr> {
        self.trusted_proxies
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    }

    /// Allowed CORS origins; `None` means any origin.
    pub fn cors_origin_list(&self) -> Option<Vec<String>> {
        let origins: Vec<String> = self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        if origins.is_empty() || origins.iter().any(|o| o == "*") {
            None
        } else {
            Some(origins)
        }
    }
}

/// Redacts the password of a connection URL (`postgres://user:secret@host/db`).
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:[redacted]@{host}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("metrics_bind", &self.metrics_bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url()))
            .field("database_max_connections", &self.database_max_connections)
            .field("public_url", &self.public_url())
            .field("timezone", &self.timezone)
            .field("seed_file", &self.seed_file)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password)
            .field("access_token_ttl_seconds", &self.access_token_ttl_seconds)
            .field("refresh_token_ttl_seconds", &self.refresh_token_ttl_seconds)
            .field(
                "session_max_lifetime_seconds",
                &self.session_max_lifetime_seconds,
            )
            .field("console_idle_minutes", &self.console_idle_minutes)
            .field("console_session_hours", &self.console_session_hours)
            .field("quotas", &self.quotas())
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_max_failures_per_address",
                &self.login_max_failures_per_address,
            )
            .field("login_throttle_delay_ms", &self.login_throttle_delay_ms)
            .field("ride_min_lead_minutes", &self.ride_min_lead_minutes)
            .field("ride_reminder_minutes", &self.ride_reminder_minutes)
            .field("ride_desk_phone", &self.ride_desk_phone)
            .field("vapid_subject", &self.vapid_subject)
            .field("push_allow_http", &self.push_allow_http)
            .field("sms_provider", &self.sms_provider)
            .field("sms_api_url", &self.sms_api_url)
            .field("sms_api_key", &self.sms_api_key)
            .field("sms_signing_key", &self.sms_signing_key)
            .field("sms_from", &self.sms_from)
            .field("sms_webhook_url", &self.sms_webhook_url())
            .field("sms_monthly_budget", &self.sms_monthly_budget)
            .field("sms_quiet_hours", &self.sms_quiet_hours)
            .field("sms_countries", &self.sms_countries)
            .field("sms_allow_http", &self.sms_allow_http)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("cors_origins", &self.cors_origins)
            .field("job_poll_interval_ms", &self.job_poll_interval_ms)
            .field("feed_cache_ttl_ms", &self.feed_cache_ttl_ms)
            .field("shutdown_timeout_seconds", &self.shutdown_timeout_seconds)
            .field("token_key_file", &self.token_key_path())
            .field("vapid_key_file", &self.vapid_key_path())
            .field("trusted_proxies", &self.trusted_proxies)
            .field("media_url", &self.media_url)
            .field("media_max_bytes", &self.media_max_bytes)
            .field("media_parallel", &self.media_parallel)
            .field(
                "quota_media_per_person_per_day",
                &self.quota_media_per_person_per_day,
            )
            .finish()
    }
}

#[cfg(test)]
// `figment::Jail` closures return figment's large error type; that is its API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_secrets() {
        let settings = Settings {
            database_url: Some(Secret::new("postgres://app:hunter22@db:5432/dorfapp")),
            admin_password: Some(Secret::new("correct horse battery")),
            ..Settings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter22"), "{printed}");
        assert!(!printed.contains("correct horse"), "{printed}");
        assert!(printed.contains("postgres://app:[redacted]@db:5432/dorfapp"));
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dorfapp.toml",
                "bind = \"0.0.0.0:9000\"\ntimezone = \"Europe/Vienna\"\n",
            )?;
            jail.set_env("DORFAPP_CONFIG", "dorfapp.toml");
            jail.set_env("DORFAPP_TIMEZONE", "Europe/Berlin");
            jail.set_env("DORFAPP_PUSH_ALLOW_HTTP", "true");
            let settings = Settings::load().expect("settings load");
            assert_eq!(settings.bind.port(), 9000);
            assert_eq!(settings.timezone, "Europe/Berlin");
            assert!(settings.push_allow_http);
            Ok(())
        });
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DORFAPP_REFRESH_TOKEN_TTL_SECONDS", "99999999999");
            assert!(matches!(
                Settings::load(),
                Err(ConfigError::Invalid {
                    key: "refresh_token_ttl_seconds",
                    ..
                })
            ));
            jail.set_env("DORFAPP_REFRESH_TOKEN_TTL_SECONDS", "600");
            assert!(matches!(
                Settings::load(),
                Err(ConfigError::Invalid {
                    key: "access_token_ttl_seconds",
                    ..
                })
            ));
            Ok(())
        });
    }

    #[test]
    fn unknown_time_zone_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DORFAPP_TIMEZONE", "Mars/Olympus");
            assert!(matches!(
                Settings::load(),
                Err(ConfigError::Invalid {
                    key: "timezone",
                    ..
                })
            ));
            Ok(())
        });
    }

    #[test]
    fn defaults_need_no_configuration() {
        let settings = Settings::default();
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        assert!(
            settings
                .database_url()
                .starts_with("sqlite://./data/dorfapp.db")
        );
        assert_eq!(settings.public_url(), "http://127.0.0.1:8080");
        assert_eq!(settings.cors_origin_list(), None);
    }
}
