//! What every request and job can reach: database, settings, clock, keys.

use std::sync::Arc;

use anyhow::Context;
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

use crate::{
    clock::SharedClock,
    config::Settings,
    db,
    jobs::{JobContext, JobRegistry},
    keys::{self, ServerKeys},
    seed,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub keys: Arc<ServerKeys>,
    /// The municipality's time zone (opening hours, quiet hours).
    pub time_zone: Tz,
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
        let created = db::migrate_then(&db, async |txn| {
            Ok(seed::apply_on_first_start(txn, &clock, &seed).await?)
        })
        .await
        .context("preparing the database")?;
        if created > 0 {
            tracing::info!(districts = created, "seeded districts on first start");
        }
        Ok(Self {
            db,
            settings: Arc::new(settings),
            clock,
            keys: Arc::new(keys),
            time_zone,
        })
    }

    pub fn job_context(&self) -> JobContext {
        JobContext {
            db: self.db.clone(),
            clock: self.clock.clone(),
        }
    }
}

/// The handlers of every kind of time-driven work. Capabilities add theirs here.
pub fn job_registry() -> JobRegistry {
    JobRegistry::default()
}
