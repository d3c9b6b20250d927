//! News published under an organisation's name (issue 19): `news_item.organisation_id`, inline
//! `REFERENCES` as SQLite cannot add a foreign key to an existing table. An organisation's
//! deletion leaves its news standing, without the name.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(NewsItem::Table)
                    .add_column(
                        uuid_null(NewsItem::OrganisationId)
                            .extra("REFERENCES organisation (id) ON DELETE SET NULL"),
                    )
                    .to_owned(),
            )
            .await?;
        // An organisation's deletion looks its news up.
        manager
            .create_index(
                Index::create()
                    .name("idx_news_item_organisation")
                    .table(NewsItem::Table)
                    .col(NewsItem::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_news_item_organisation")
                    .table(NewsItem::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(NewsItem::Table)
                    .drop_column(NewsItem::OrganisationId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum NewsItem {
    Table,
    OrganisationId,
}
