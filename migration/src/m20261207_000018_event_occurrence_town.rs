//! The calendar's town-wide dates get an index of their own. A district's page reads two
//! ranges of `event_occurrence`: the district's rows and the town-wide ones
//! (`district_id IS NULL`). PostgreSQL misjudges how many rows `IS NULL` matches in the
//! shared `(district_id, starts_at, event_id)` index (17,000 for 5,900 at 10,000 events) and
//! sorts them all instead of walking the index; a partial index in calendar order is walked
//! for the 21 rows a page needs (3.6 ms to 0.2 ms, `docs/benchmarks.md`). Written as SQL: the
//! statement is the same on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_event_occurrence_town_start \
                 ON event_occurrence (starts_at, event_id) WHERE district_id IS NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_event_occurrence_town_start")
            .await
            .map(|_| ())
    }
}
