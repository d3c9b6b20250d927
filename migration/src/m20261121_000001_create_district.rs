use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(District::Table)
                    .if_not_exists()
                    .col(pk_uuid(District::Id))
                    .col(string_len_uniq(District::Slug, 64))
                    .col(string_len(District::Name, 100))
                    .col(text_null(District::Description))
                    .col(timestamp_with_time_zone(District::CreatedAt))
                    .col(timestamp_with_time_zone(District::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(District::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum District {
    Table,
    Id,
    Slug,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
}
