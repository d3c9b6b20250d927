//! What every request and job can reach: database, settings, clock, keys.

use std::sync::Arc;

use anyhow::Context;
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

use crate::{config::Settings, seed};
use domain::{
    accounts,
    clock::SharedClock,
    db,
    jobs::{JobContext, JobRegistry},
    keys::{self, ServerKeys},
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub keys: Arc<ServerKeys>,
    /// The municipality's time zone (opening hours, quiet hours).
    pub time_zone: Tz,
    /// The VAPID signer and the pooled client pushes are sent through.
    pub push: Arc<::push::PushClient>,
    /// Advanced by every news change this instance commits; the feed cache watches it.
    pub news_version: domain::news::FeedVersion,
    /// Rendered pages of the public news feed.
    pub feed_cache: Arc<crate::http::feed_cache::FeedCache>,
    /// The rendered iCal feeds, each with the fingerprint it was made from.
    pub ical_feeds: Arc<crate::http::calendar::KeptFeeds>,
    /// Where photos go and what is accepted.
    pub uploads: domain::media::Uploads,
    /// How text messages are sent.
    pub sms: Arc<domain::sms::SmsConfig>,
    /// The SMS provider's client; `None` while SMS is off.
    pub sms_provider: Option<Arc<dyn ::sms::SmsProvider>>,
}

impl AppState {
    /// Everything needed before the first request: the data directory, the database (migrated),
    /// the keys, and on a fresh installation the districts of the seed.
    pub async fn init(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
        let time_zone = settings.time_zone()?;
        let db = db::connect(&settings.database_url(), settings.database_max_connections)
            .await
            .context("connecting to the database")?;
        let keys = keys::load_or_create(&settings.token_key_path(), &settings.vapid_key_path())?;
        let seed = seed::SeedFile::load(settings.seed_file.as_deref())?;
        let admin = match (&settings.admin_email, &settings.admin_password) {
            (Some(email), Some(password)) => {
                let hash = accounts::hash_password(password.expose())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                Some((email.clone(), password.expose().to_owned(), hash))
            }
            _ => None,
        };
        let (created, admin_created) = db::migrate_then(&db, async |txn| {
            let districts = seed::apply_on_first_start(txn, &clock, &seed).await?;
            let adopted = domain::events::adopt::adopt_news_events(txn, &clock, time_zone).await?;
            if adopted > 0 {
                tracing::info!(adopted, "news items with an event adopted as events");
            }
            let keyed = domain::rides::desk::backfill_phone_keys(txn).await?;
            if keyed > 0 {
                tracing::info!(
                    keyed,
                    "rides given a phone key for the ride desk's caller lookup"
                );
            }
            let admin_created = match admin {
                Some((email, password, hash)) => {
                    accounts::ensure_admin_in(txn, &clock, &email, &password, hash)
                        .await
                        .map_err(|err| {
                            anyhow::anyhow!("creating the admin from DORFAPP_ADMIN_EMAIL: {err:?}")
                        })?
                }
                None => false,
            };
            Ok((districts, admin_created))
        })
        .await
        .context("preparing the database")?;
        if created > 0 {
            tracing::info!(districts = created, "seeded districts on first start");
        }
        if admin_created {
            tracing::info!("created the first administrator from DORFAPP_ADMIN_EMAIL");
        }
        maintenance::schedule(&db, &clock)
            .await
            .context("scheduling housekeeping")?;
        let push = ::push::PushClient::new(
            &keys.vapid,
            &settings.vapid_subject,
            settings.push_allow_http,
        )
        .context("preparing the push client")?;
        let store =
            media::store::MediaStore::open(settings.media_url.as_deref(), &settings.data_dir)
                .context("opening the media storage (DORFAPP_MEDIA_URL)")?;
        store.probe().await.with_context(|| {
            format!(
                "the media storage {} cannot be written and read (DORFAPP_MEDIA_URL, AWS_*)",
                store.location
            )
        })?;
        tracing::info!(location = %store.location, "photos are kept here");
        let uploads = domain::media::Uploads::new(
            store,
            settings.media_limits(),
            settings.quota_media_per_person_per_day,
            settings.media_parallel,
        );
        let sms_config = settings.sms_config()?;
        let sms_provider = sms_provider(&settings)?;
        let news_version = domain::news::FeedVersion::default();
        let feed_cache = crate::http::feed_cache::FeedCache::new(
            settings.feed_cache_ttl(),
            news_version.clone(),
        );
        Ok(Self {
            db,
            uploads,
            news_version,
            feed_cache: Arc::new(feed_cache),
            ical_feeds: Arc::default(),
            settings: Arc::new(settings),
            clock,
            keys: Arc::new(keys),
            time_zone,
            push: Arc::new(push),
            sms: Arc::new(sms_config),
            sms_provider,
        })
    }

    /// The SMS worker of this instance, when a provider is configured.
    pub fn sms_worker(&self) -> Option<domain::sms::outbox::SmsWorker> {
        let provider = self.sms_provider.clone()?;
        Some(domain::sms::outbox::SmsWorker::new(
            self.db.clone(),
            self.clock.clone(),
            self.sms.clone(),
            provider,
            self.settings.job_poll_interval(),
        ))
    }

    /// What ride booking and erasure need of the settings.
    pub fn ride_settings(&self) -> domain::rides::RideSettings {
        domain::rides::RideSettings {
            min_lead: chrono::Duration::minutes(i64::from(self.settings.ride_min_lead_minutes)),
            reminder_before: chrono::Duration::minutes(i64::from(
                self.settings.ride_reminder_minutes,
            )),
            time_zone: self.time_zone,
            max_open_rides: self.settings.quotas().open_rides_per_rider,
        }
    }

    /// The push worker of this instance.
    pub fn dispatcher(&self) -> ::push::Dispatcher {
        ::push::Dispatcher::new(
            self.db.clone(),
            self.clock.clone(),
            self.time_zone,
            self.push.clone(),
            self.settings.job_poll_interval(),
        )
    }

    pub fn job_context(&self) -> JobContext {
        JobContext {
            db: self.db.clone(),
            clock: self.clock.clone(),
            time_zone: self.time_zone,
            news_version: self.news_version.clone(),
            media: self.uploads.store.clone(),
            sms: self.sms.clone(),
        }
    }
}

/// The configured SMS provider's client (`DORFAPP_SMS_PROVIDER`); the settings were checked.
fn sms_provider(settings: &Settings) -> anyhow::Result<Option<Arc<dyn ::sms::SmsProvider>>> {
    let Some(provider) = settings.sms_provider.as_deref() else {
        return Ok(None);
    };
    anyhow::ensure!(provider == "seven", "unknown SMS provider {provider:?}");
    let secret = |s: &Option<crate::config::Secret>| {
        s.as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_default()
    };
    let client = ::sms::seven::SevenClient::new(
        ::sms::seven::SevenConfig {
            api_url: settings.sms_api_url.clone(),
            api_key: secret(&settings.sms_api_key),
            from: settings.sms_from.clone().unwrap_or_default(),
        },
        settings.sms_allow_http,
    )
    .context("preparing the SMS client")?;
    tracing::info!(provider, api = %settings.sms_api_url, "text messages are sent");
    Ok(Some(Arc::new(client)))
}

/// The handlers of every kind of time-driven work. Capabilities add theirs here.
pub fn job_registry() -> JobRegistry {
    let mut registry = JobRegistry::default();
    registry.register(maintenance::PURGE, maintenance::purge);
    registry.register(domain::news::PUBLISH_JOB, domain::news::publish_due);
    registry.register(domain::rides::EXPIRE_JOB, domain::rides::expire_due);
    registry.register(domain::rides::REMIND_JOB, domain::rides::remind_due);
    registry.register(domain::rides::sms::JOB, domain::rides::sms::message_due);
    registry.register(domain::sms_warnings::JOB, domain::sms_warnings::warn_due);
    registry.register(
        domain::sms::budget::NOTICE_JOB,
        domain::sms::budget::notice_due,
    );
    registry.register(domain::media::RELEASE_JOB, domain::media::release_due);
    registry.register(domain::events::REMIND_JOB, domain::events::remind_due);
    registry.register(
        domain::events::adopt::ADOPT_JOB,
        domain::events::adopt::adopt_due,
    );
    registry.register(
        domain::events::shifts::REMIND_JOB,
        domain::events::shifts::remind_due,
    );
    registry
}

/// Housekeeping: expired idempotency records and login attempts older than the throttle
/// window are deleted hourly (they are personal data; see `docs/privacy.md`).
pub mod maintenance {
    use chrono::Duration;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use domain::{
        accounts::THROTTLE_WINDOW,
        clock::SharedClock,
        idempotency,
        jobs::{self, ClaimedJob, JobContext, JobError, JobOutcome, NewJob},
    };

    pub const PURGE: &str = "maintenance.purge";
    const EVERY: Duration = Duration::hours(1);

    /// Queues the hourly purge unless it is queued already (any instance may call this).
    pub async fn schedule(
        db: &sea_orm::DatabaseConnection,
        clock: &SharedClock,
    ) -> Result<(), sea_orm::DbErr> {
        jobs::enqueue(
            db,
            clock,
            NewJob::new(PURGE, serde_json::json!({}), clock.now()).unique(PURGE),
        )
        .await
    }

    pub async fn purge(ctx: JobContext, _job: ClaimedJob) -> Result<JobOutcome, JobError> {
        let now = ctx.clock.now();
        let records = idempotency::purge_expired(&ctx.db, &ctx.clock).await?;
        let attempts = entity::login_attempt::Entity::delete_many()
            .filter(entity::login_attempt::Column::At.lte(now - THROTTLE_WINDOW))
            .exec(&ctx.db)
            .await?
            .rows_affected;
        // Sessions that ended over a week ago (their refresh tokens go with them).
        let ended = now - Duration::days(7);
        let sessions = entity::session::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(entity::session::Column::ExpiresAt.lte(ended))
                    .add(entity::session::Column::RevokedAt.lte(ended)),
            )
            .exec(&ctx.db)
            .await?
            .rows_affected;
        let quota_uses = domain::quotas::purge(&ctx.db, now).await?;
        let console_drafts = domain::drafts::purge(&ctx.db, &ctx.clock)
            .await
            .map_err(|err| JobError::Temporary(format!("{err:?}")))?;
        let photos = domain::media::purge_orphans(&ctx).await?;
        let sms = domain::sms::outbox::purge(&ctx.db, now).await?;
        // Not a purge, but as regular: the calendar of open-ended series keeps reaching two
        // years ahead.
        let series = domain::events::extend_calendar(&ctx.db, &ctx.clock)
            .await
            .map_err(|err| JobError::Temporary(err.to_string()))?;
        tracing::info!(
            idempotency_records = records,
            login_attempts = attempts,
            sessions,
            quota_uses,
            console_drafts,
            photos,
            sms,
            series,
            "purged expired records"
        );
        // The same row comes back in an hour: a recurring job without a second scheduler.
        Ok(JobOutcome::RetryAt(now + EVERY))
    }
}
