use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Job::Table)
                    .if_not_exists()
                    .col(pk_uuid(Job::Id))
                    .col(string_len(Job::Kind, 64))
                    .col(text(Job::Payload))
                    // Deduplicates work that must exist once, e.g. "publish news item X".
                    .col(string_len_null(Job::UniqueKey, 200).unique_key())
                    .col(string_len(Job::Status, 16))
                    .col(timestamp_with_time_zone(Job::DueAt))
                    .col(integer(Job::Attempts))
                    .col(integer(Job::MaxAttempts))
                    .col(string_len_null(Job::LockedBy, 64))
                    .col(timestamp_with_time_zone_null(Job::LockedUntil))
                    .col(text_null(Job::LastError))
                    .col(timestamp_with_time_zone(Job::CreatedAt))
                    .col(timestamp_with_time_zone(Job::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // The claim query walks pending jobs in due order.
        manager
            .create_index(
                Index::create()
                    .name("idx_job_status_due_at")
                    .table(Job::Table)
                    .col(Job::Status)
                    .col(Job::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Job::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Kind,
    Payload,
    UniqueKey,
    Status,
    DueAt,
    Attempts,
    MaxAttempts,
    LockedBy,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}
