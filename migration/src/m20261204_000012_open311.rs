//! Open311 GeoReport v2: `api_client`, the integrators (a municipal back office, an Open311
//! app) an administrator issued an `api_key` to — only its SHA-256 and an 8-character prefix
//! are kept; and on `anliegen` the key that filed it (`api_client_id`, so the filer may read it
//! back before it is published) and the photo address an Open311 client sent (`media_url`,
//! shown to the handlers, never fetched by the server).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiClient::Table)
                    .col(pk_uuid(ApiClient::Id))
                    .col(string_len(ApiClient::Name, 200))
                    // SHA-256 of the key, hex.
                    .col(string_len_uniq(ApiClient::KeyHash, 64))
                    // The key's first characters, so an admin can tell keys apart.
                    .col(string_len(ApiClient::KeyPrefix, 8))
                    .col(uuid_null(ApiClient::CreatedBy))
                    .col(timestamp_with_time_zone(ApiClient::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiClient::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiClient::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_client_created_by")
                            .from(ApiClient::Table, ApiClient::CreatedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One column per statement (SQLite), each with an inline REFERENCES (sea-query cannot
        // add a foreign key to an existing SQLite table).
        manager
            .alter_table(
                Table::alter()
                    .table(Anliegen::Table)
                    .add_column(
                        uuid_null(Anliegen::ApiClientId)
                            .extra("REFERENCES api_client (id) ON DELETE SET NULL"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Anliegen::Table)
                    .add_column(string_len_null(Anliegen::ExternalMediaUrl, 1024))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_anliegen_api_client")
                    .table(Anliegen::Table)
                    .col(Anliegen::ApiClientId)
                    .col(Anliegen::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_anliegen_api_client")
                    .table(Anliegen::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Anliegen::ExternalMediaUrl, Anliegen::ApiClientId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Anliegen::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ApiClient::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Anliegen {
    Table,
    ApiClientId,
    ExternalMediaUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiClient {
    Table,
    Id,
    Name,
    KeyHash,
    KeyPrefix,
    CreatedBy,
    CreatedAt,
    RevokedAt,
    LastUsedAt,
}
