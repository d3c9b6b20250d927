//! Schema migrations for SQLite and PostgreSQL. One migration per change; a migration that has
//! landed on `main` is never edited, only followed by a new one.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_district;
mod m20261121_000002_create_job;
mod m20261121_000003_create_accounts;
mod m20261122_000004_shops;
mod m20261122_000005_news;
mod m20261122_000006_rides;
mod m20261122_000007_push;
mod m20261202_000008_quota_use;
mod m20261203_000009_media;
mod m20261204_000010_anliegen;
mod m20261204_000011_polls;
mod m20261204_000012_open311;
mod m20261204_000013_organisations;
mod m20261205_000014_news_organisation;
mod m20261205_000015_events;
mod m20261206_000016_event_shifts;
mod m20261206_000017_ride_event;
mod m20261207_000018_event_occurrence_town;
mod m20261208_000019_console;
mod m20261209_000020_ride_desk;
mod m20261210_000021_sms;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_district::Migration),
            Box::new(m20261121_000002_create_job::Migration),
            Box::new(m20261121_000003_create_accounts::Migration),
            Box::new(m20261122_000004_shops::Migration),
            Box::new(m20261122_000005_news::Migration),
            Box::new(m20261122_000006_rides::Migration),
            Box::new(m20261122_000007_push::Migration),
            Box::new(m20261202_000008_quota_use::Migration),
            Box::new(m20261203_000009_media::Migration),
            Box::new(m20261204_000010_anliegen::Migration),
            Box::new(m20261204_000011_polls::Migration),
            Box::new(m20261204_000012_open311::Migration),
            Box::new(m20261204_000013_organisations::Migration),
            Box::new(m20261205_000014_news_organisation::Migration),
            Box::new(m20261205_000015_events::Migration),
            Box::new(m20261206_000016_event_shifts::Migration),
            Box::new(m20261206_000017_ride_event::Migration),
            Box::new(m20261207_000018_event_occurrence_town::Migration),
            Box::new(m20261208_000019_console::Migration),
            Box::new(m20261209_000020_ride_desk::Migration),
            Box::new(m20261210_000021_sms::Migration),
        ]
    }
}
