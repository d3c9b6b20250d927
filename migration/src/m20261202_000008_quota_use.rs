//! `quota_use`: uses of a limited action by a key (e.g. registrations by client address), for
//! quotas that no other table can count. Shared by all instances; purged after a day.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuotaUse::Table)
                    .if_not_exists()
                    .col(pk_uuid(QuotaUse::Id))
                    .col(string_len(QuotaUse::Kind, 32))
                    .col(string_len(QuotaUse::Key, 80))
                    .col(timestamp_with_time_zone(QuotaUse::At))
                    .to_owned(),
            )
            .await?;
        // A quota counts the uses of one key in a recent window.
        manager
            .create_index(
                Index::create()
                    .name("idx_quota_use_kind_key_at")
                    .table(QuotaUse::Table)
                    .col(QuotaUse::Kind)
                    .col(QuotaUse::Key)
                    .col(QuotaUse::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(QuotaUse::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum QuotaUse {
    Table,
    Id,
    Kind,
    Key,
    At,
}
